package trustpolicy.boston.immigration_role_test

import data.trustpolicy_test as t

join(operation, fields) := t.request("join_operation", object.union({"operation": operation}, fields))

test_no_287g_agreement if {
	decision := t.decide(t.request("perform_immigration_function", {}))
	decision.violations == {{
		"rule": "BTA-ROLE-01",
		"title": "No acting as an immigration officer or joining immigration operations",
		"citation": "Boston Code § 11-1.9; Boston Trust Act (2019) § 2; 8 U.S.C. § 1357(g)",
		"confidence": "reported",
		"version": "BTA-2019",
		"message": concat(" ", [
			"Boston Trust Act: officers may not act as immigration officers (287(g) included) or",
			"join an operation whose primary purpose is immigration enforcement.",
		]),
	}}
}

cases := {
	"an immigration function on a criminal task force is still an immigration function": {
		"input": t.request("perform_immigration_function", {
			"operation": {"primary_purpose": "criminal_enforcement", "partner": "ICE-HSI"},
			"criminal_case": {"id": "T-1"},
		}),
		"want": t.deny({"BTA-ROLE-01"}),
	},
	"an immigration enforcement operation": {
		"input": join({"primary_purpose": "immigration_enforcement", "partner": "ICE-ERO"}, {}),
		"want": t.deny({"BTA-ROLE-01"}),
	},
	"an immigration operation run by the FBI": {
		"input": join({"primary_purpose": "immigration_enforcement", "partner": "FBI"}, {}),
		"want": t.deny({"BTA-ROLE-01"}),
	},
	"a joint task force for criminal enforcement in a documented case": {
		"input": join({"primary_purpose": "criminal_enforcement", "partner": "ICE-HSI"}, {"criminal_case": {"id": "T-2", "category": "gang"}}),
		"want": t.want("allow", set(), {"EXC-TASK-FORCE": "BTA-ROLE-01"}, set(), set()),
	},
	"a 'criminal' task force with no case": {
		"input": join({"primary_purpose": "criminal_enforcement", "partner": "ICE-HSI"}, {}),
		"want": t.deny({"BTA-ROLE-01"}),
	},
	"a task force whose primary purpose is immigration": {
		"input": join({"primary_purpose": "immigration_enforcement", "partner": "ICE-HSI"}, {"criminal_case": {"id": "T-3"}}),
		"want": t.deny({"BTA-ROLE-01"}),
	},
	"an ICE-ERO operation labelled public safety is still immigration enforcement": {
		"input": join({"primary_purpose": "public_safety", "partner": "ICE-ERO"}, {"purpose": "public_safety"}),
		"want": t.deny({"BTA-ROLE-01"}),
	},
	"a CBP task force on a bare case number is not a criminal task force": {
		"input": join({"primary_purpose": "criminal_enforcement", "partner": "CBP"}, {"purpose": "criminal_investigation", "criminal_case": {"id": "T-2"}}),
		"want": t.deny({"BTA-ROLE-01"}),
	},
	"an ICE-ERO operation with a judicial criminal warrant presented": {
		"input": join({"primary_purpose": "criminal_enforcement", "partner": "ICE-ERO"}, {"authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}], "criminal_case": {"id": "T-3"}}),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-WARRANT": "BTA-ROLE-01"}, set(), set()),
	},
	"a judicial criminal warrant never lifts joining an immigration operation": {
		"input": join({"primary_purpose": "immigration_enforcement", "partner": "ICE-ERO"}, {"authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}]}),
		"want": t.deny({"BTA-ROLE-01"}),
	},
	"a judicial criminal warrant never lifts a 287(g) function": {
		"input": t.request("perform_immigration_function", {"authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}]}),
		"want": t.deny({"BTA-ROLE-01"}),
	},
	"cross-designation under a criminal task force is still BTA-ROLE-01": {
		"input": t.request("perform_immigration_function", {"operation": {"primary_purpose": "criminal_enforcement", "partner": "ICE-HSI"}, "criminal_case": {"id": "T-4"}, "purpose": "criminal_investigation"}),
		"want": t.deny({"BTA-ROLE-01"}),
	},
	"a peacekeeping operation with no immigration partner": {
		"input": join({"primary_purpose": "public_safety", "partner": "STATE_POLICE"}, {"purpose": "public_safety"}),
		"want": t.allow,
	},
	"a task force for criminal enforcement joined for civil enforcement": {
		"input": join({"primary_purpose": "criminal_enforcement", "partner": "FBI"}, {"purpose": "civil_immigration_enforcement", "criminal_case": {"id": "T-4"}}),
		"want": t.deny({"BTA-ROLE-01"}),
	},
	"a criminal operation with the DEA": {
		"input": join({"primary_purpose": "criminal_enforcement", "partner": "DEA"}, {}),
		"want": t.allow,
	},
	"joining for civil immigration enforcement": {
		"input": join({"primary_purpose": "public_safety"}, {"purpose": "civil_immigration_enforcement"}),
		"want": t.deny({"BTA-ROLE-01"}),
	},
	"joining with no operation described": {
		"input": t.request("join_operation", {"counterpart": {"agency": "ICE-ERO"}}),
		"want": t.deny({"TP-INPUT-01"}),
	},
}

test_immigration_role_cases if count(t.failures(cases)) == 0
