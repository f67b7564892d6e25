package trustpolicy.boston.transfer_test

import data.trustpolicy_test as t

to(agency, fields) := t.request("transfer_custody", object.union({"counterpart": {"agency": agency}}, fields))

test_no_transfer_to_ice if {
	decision := t.decide(to("ICE-ERO", {}))
	decision.violations == {{
		"rule": "BTA-XFER-01",
		"title": "No transfer of a person to immigration authorities",
		"citation": "Boston Code § 11-1.9; Boston Trust Act (2019) § 2",
		"confidence": "text",
		"version": "BTA-2019",
		"message": concat(" ", [
			"Boston Trust Act: officers and city employees may not transfer a person to",
			"immigration authorities without a judicial criminal warrant or court order.",
		]),
	}}
}

cases := {
	"to CBP": {"input": to("CBP", {}), "want": t.deny({"BTA-XFER-01"})},
	"to ICE-HSI, even in a criminal case, without a warrant": {
		"input": to("ICE-HSI", {"purpose": "criminal_investigation", "criminal_case": {"id": "HSI-2", "category": "gang"}}),
		"want": t.deny({"BTA-XFER-01"}),
	},
	"to a city department that forwards to ICE": {
		"input": to("CITY_DEPARTMENT", {"counterpart": {"agency": "CITY_DEPARTMENT", "forwards_to": ["ICE-ERO"]}}),
		"want": t.deny({"BTA-XFER-01"}),
	},
	"a city employee transferring on a detainer": {
		"input": object.union(to("ICE-ERO", {"authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}]}), {"actor": {"role": "city_employee"}}),
		"want": t.want("deny", {"BTA-XFER-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"a judicial criminal warrant": {
		"input": to("ICE-ERO", {"authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}]}),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-WARRANT": "BTA-XFER-01"}, set(), set()),
	},
	"a writ from a court in a criminal matter": {
		"input": to("ICE-HSI", {"authority": [{"type": "judicial_order", "issued_by": "federal_judge"}], "criminal_case": {"id": "1:26-cr-3"}}),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-ORDER": "BTA-XFER-01"}, set(), set()),
	},
	"an order from a civil matter (habeas, removal) lifts nothing": {
		"input": to("ICE-ERO", {"authority": [{"type": "judicial_order", "issued_by": "federal_judge"}]}),
		"want": t.deny({"BTA-XFER-01"}),
	},
	"a state criminal warrant never lifts a transfer to ICE-ERO": {
		"input": to("ICE-ERO", {"authority": [{"type": "state_criminal_warrant", "issued_by": "state_judge"}], "criminal_case": {"id": "S-1"}}),
		"want": t.deny({"BTA-XFER-01"}),
	},
	"a state criminal warrant never lifts a transfer to CBP": {
		"input": to("CBP", {"authority": [{"type": "state_criminal_warrant", "issued_by": "magistrate"}]}),
		"want": t.deny({"BTA-XFER-01"}),
	},
	"warrant and writ together": {
		"input": to("ICE-ERO", {"criminal_case": {"id": "1:26-cr-4"}, "authority": [
			{"type": "judicial_order", "issued_by": "state_judge"},
			{"type": "judicial_criminal_warrant", "issued_by": "magistrate"},
		]}),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-ORDER": "BTA-XFER-01", "EXC-JUDICIAL-WARRANT": "BTA-XFER-01"}, set(), set()),
	},
	"an immigration judge's order is civil": {
		"input": to("ICE-ERO", {"authority": [{"type": "judicial_order", "issued_by": "immigration_judge"}]}),
		"want": t.deny({"BTA-XFER-01"}),
	},
	"to the Marshals": {"input": to("USMS", {}), "want": t.allow},
	"to an agency that is not an immigration authority, whatever the stated purpose": {
		"input": to("FBI", {"purpose": "civil_immigration_enforcement"}),
		"want": t.allow,
	},
	"no recipient given": {"input": t.request("transfer_custody", {}), "want": t.deny({"TP-INPUT-01"})},
}

test_transfer_cases if count(t.failures(cases)) == 0
