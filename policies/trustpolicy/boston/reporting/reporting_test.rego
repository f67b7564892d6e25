package trustpolicy.boston.reporting_test

import data.trustpolicy_test as t

detainer := {"type": "civil_detainer", "issued_by": "ice_officer"}

test_every_detainer_received_is_recorded if {
	decision := t.decide(t.request("receive_detainer", {"authority": [detainer]}))
	decision.outcome == "allow"
	decision.obligations == {{
		"rule": "BTA-RPT-01",
		"title": "Record every civil detainer request for the annual report",
		"citation": "Boston Code § 11-1.9; Boston Trust Act (2014) § 3, as amended (2019) § 3",
		"confidence": "reported",
		"version": "BTA-2014",
		"message": concat(" ", [
			"Record this civil detainer request for the Commissioner's annual Trust Act report:",
			"date, district and disposition, and whether the person was detained or transferred",
			"on it.",
		]),
	}}
}

test_a_detainer_without_a_district_is_still_recorded if {
	decision := t.decide({"action": "receive_detainer", "actor": {"agency": "BPD", "role": "police_officer"}})
	[o.message | some o in decision.obligations] == [concat(" ", [
		"Record this civil detainer request for the Commissioner's annual Trust Act report:",
		"date, district and disposition, and whether the person was detained or transferred",
		"on it. The district was not given: record it by hand.",
	])]
}

cases := {
	"a detainer shown with a transfer request": {
		"input": t.request("transfer_custody", {"counterpart": {"agency": "ICE-ERO"}, "authority": [detainer]}),
		"want": t.want("deny", {"BTA-XFER-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"a detainer shown with a request for the release date": {
		"input": t.request("share_information", {"counterpart": {"agency": "ICE-ERO"}, "information": ["release_date"], "authority": [detainer]}),
		"want": t.want("deny", {"BTA-INFO-02"}, {}, set(), {"BTA-RPT-01"}),
	},
	"receiving is recorded whatever document came with it": {
		"input": t.request("receive_detainer", {"authority": [{"type": "ice_administrative_warrant", "issued_by": "ice_officer"}]}),
		"want": t.want("allow", set(), {}, set(), {"BTA-RPT-01"}),
	},
}

test_reporting_cases if count(t.failures(cases)) == 0
