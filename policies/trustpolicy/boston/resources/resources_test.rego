package trustpolicy.boston.resources_test

import data.trustpolicy_test as t

ice_operation := {"primary_purpose": "immigration_enforcement", "partner": "ICE-ERO"}

commit(fields) := t.request("commit_resources", fields)

test_no_perimeter_for_a_civil_operation if {
	decision := t.decide(commit({"operation": ice_operation, "purpose": "civil_immigration_enforcement"}))
	decision.violations == {{
		"rule": "BTA-RES-01",
		"title": "No city resources for civil immigration enforcement",
		"citation": "Boston Code § 11-1.9; Boston Trust Act (2019) § 2",
		"confidence": "reported",
		"version": "BTA-2019",
		"message": concat(" ", [
			"Boston Trust Act: city funds, personnel, equipment and facilities may not be used for",
			"civil immigration enforcement.",
		]),
	}}
}

cases := {
	"backup asked by ICE with no stated purpose beyond 'other'": {
		"input": commit({"counterpart": {"agency": "ICE-ERO"}, "purpose": "other"}),
		"want": t.deny({"BTA-RES-01"}),
	},
	"a station interview room for CBP": {
		"input": commit({"counterpart": {"agency": "CBP"}, "purpose": "criminal_investigation"}),
		"want": t.deny({"BTA-RES-01"}),
	},
	"an immigration operation, whoever runs it": {
		"input": commit({"operation": {"primary_purpose": "immigration_enforcement"}}),
		"want": t.deny({"BTA-RES-01"}),
	},
	"a criminal case does not make ICE-ERO's operation criminal": {
		"input": commit({"operation": {"primary_purpose": "criminal_enforcement", "partner": "ICE-ERO"}, "criminal_case": {"id": "E-5"}}),
		"want": t.deny({"BTA-RES-01"}),
	},
	"ICE-ERO executing a judicial criminal warrant is not civil enforcement": {
		"input": commit({
			"counterpart": {"agency": "ICE-ERO"},
			"purpose": "criminal_investigation",
			"criminal_case": {"id": "1:26-cr-7"},
			"authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}],
		}),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-WARRANT": "BTA-RES-01"}, set(), set()),
	},
	"the public-safety label never covers an ICE-ERO operation": {
		"input": commit({"operation": ice_operation, "purpose": "public_safety"}),
		"want": t.deny({"BTA-RES-01"}),
	},
	"keeping the peace at a public-safety scene where ICE-HSI acts": {
		"input": commit({"counterpart": {"agency": "ICE-HSI"}, "operation": {"primary_purpose": "public_safety"}, "purpose": "public_safety"}),
		"want": t.want("allow", set(), {"EXC-PUBLIC-SAFETY": "BTA-RES-01"}, set(), set()),
	},
	"a perimeter labelled public safety around a civil operation": {
		"input": commit({"operation": {"primary_purpose": "immigration_enforcement"}, "purpose": "public_safety"}),
		"want": t.deny({"BTA-RES-01"}),
	},
	"city facilities for CBP interviews labelled public safety": {
		"input": commit({"counterpart": {"agency": "CBP"}, "operation": {"primary_purpose": "public_safety"}, "purpose": "public_safety"}),
		"want": t.deny({"BTA-RES-01"}),
	},
	"a city employee looking up status for ICE-ERO with no civil purpose stated": {
		"input": object.union(t.request("inquire_status", {"counterpart": {"agency": "ICE-ERO"}, "purpose": "statistics"}), {"actor": {"role": "city_employee"}}),
		"want": t.deny({"BTA-RES-01"}),
	},
	"a city employee looking up status for ICE-ERO in a criminal case": {
		"input": object.union(t.request("inquire_status", {"counterpart": {"agency": "ICE-ERO"}, "purpose": "criminal_investigation", "criminal_case": {"id": "C-1"}}), {"actor": {"role": "city_employee"}}),
		"want": t.deny({"BTA-RES-01"}),
	},
	"a city employee looking up status for ICE-HSI in a documented case": {
		"input": object.union(t.request("inquire_status", {"counterpart": {"agency": "ICE-HSI"}, "purpose": "criminal_investigation", "criminal_case": {"id": "C-1"}}), {"actor": {"role": "city_employee"}}),
		"want": t.allow,
	},
	"a city employee's status look-up with no purpose is a missing fact": {
		"input": object.union(t.request("inquire_status", {}), {"actor": {"role": "city_employee"}}),
		"want": t.deny({"TP-INPUT-01"}),
	},
	"a criminal operation with ICE-HSI in a documented case": {
		"input": commit({"operation": {"primary_purpose": "criminal_enforcement", "partner": "ICE-HSI"}, "criminal_case": {"id": "H-7"}}),
		"want": t.allow,
	},
	"a criminal operation with ICE-HSI claimed without a case": {
		"input": commit({"operation": {"primary_purpose": "criminal_enforcement", "partner": "ICE-HSI"}}),
		"want": t.deny({"BTA-RES-01"}),
	},
	"crowd control at a parade": {
		"input": commit({"operation": {"primary_purpose": "public_safety"}, "purpose": "public_safety"}),
		"want": t.allow,
	},
	"a city employee looking up status for civil enforcement": {
		"input": object.union(t.request("inquire_status", {"purpose": "civil_immigration_enforcement"}), {"actor": {"role": "city_employee"}}),
		"want": t.deny({"BTA-RES-01"}),
	},
	"a city employee 'investigating a crime' for ICE with no case": {
		"input": object.union(
			t.request("inquire_status", {"counterpart": {"agency": "ICE-ERO"}, "purpose": "criminal_investigation"}),
			{"actor": {"role": "city_employee"}},
		),
		"want": t.deny({"BTA-RES-01"}),
	},
	"a city employee confirming status with USCIS for benefits is at an immigration authority's request": {
		"input": object.union(
			t.request("inquire_status", {"counterpart": {"agency": "USCIS"}, "purpose": "benefit_eligibility"}),
			{"actor": {"role": "city_employee"}},
		),
		"want": t.deny({"BTA-RES-01"}),
	},
	"ICE-ERO carrying out a court order in a criminal matter gets no city resources (only a judicial criminal warrant)": {
		"input": commit({
			"counterpart": {"agency": "ICE-ERO"},
			"purpose": "criminal_investigation",
			"criminal_case": {"id": "1:26-cr-9"},
			"authority": [{"type": "judicial_order", "issued_by": "federal_judge"}],
		}),
		"want": t.deny({"BTA-RES-01"}),
	},
	"resources for ICE-ERO with nothing said of what for": {
		"input": commit({"counterpart": {"agency": "ICE-ERO"}}),
		"want": t.deny({"BTA-RES-01"}),
	},
	"nothing said of whom the resources serve is a missing fact": {
		"input": commit({"purpose": "public_safety"}),
		"want": t.deny({"TP-INPUT-01"}),
	},
	"for ICE-ERO the stated purpose changes nothing: a judicial criminal warrant still decides": {
		"input": commit({
			"counterpart": {"agency": "ICE-ERO"},
			"purpose": "civil_immigration_enforcement",
			"criminal_case": {"id": "1:26-cr-9"},
			"authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}],
		}),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-WARRANT": "BTA-RES-01"}, set(), set()),
	},
	"a judicial criminal warrant never lifts resources for a civil operation": {
		"input": commit({
			"counterpart": {"agency": "ICE-ERO"},
			"operation": {"primary_purpose": "immigration_enforcement", "partner": "ICE-ERO"},
			"criminal_case": {"id": "1:26-cr-8"},
			"authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}],
		}),
		"want": t.deny({"BTA-RES-01"}),
	},
}

test_resources_cases if count(t.failures(cases)) == 0
