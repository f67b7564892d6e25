package trustpolicy.massachusetts.lunn_test

import data.trustpolicy_test as t

detainer := {"type": "civil_detainer", "issued_by": "ice_officer"}

cases := {
	"a detainer alone after release eligibility": {
		"input": t.request("detain", {"subject": {"in_custody": true, "eligible_for_release": true}, "authority": [detainer]}),
		"want": t.want("deny", {"BTA-DET-01", "MA-LUNN-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"Lunn binds whatever the city's exceptions: a city employee holding on a detainer": {
		"input": object.union(
			t.request("detain", {"subject": {"in_custody": true, "eligible_for_release": true}, "authority": [detainer]}),
			{"actor": {"agency": "Suffolk County Sheriff", "role": "city_employee"}},
		),
		"want": t.want("deny", {"BTA-DET-01", "MA-LUNN-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"an administrative warrant without a detainer is the city's rule only": {
		"input": t.request("detain", {"subject": {"in_custody": true, "eligible_for_release": true}, "authority": [{"type": "ice_administrative_warrant", "issued_by": "ice_officer"}]}),
		"want": t.deny({"BTA-DET-01"}),
	},
	"a court order is no warrant: no exception exists for a civil detainer": {
		"input": t.request("detain", {"subject": {"in_custody": true, "eligible_for_release": true}, "authority": [detainer, {"type": "judicial_order", "issued_by": "magistrate"}]}),
		"want": t.want("deny", {"BTA-DET-01", "MA-LUNN-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"a state criminal warrant means the hold is not solely on the detainer": {
		"input": t.request("detain", {"subject": {"in_custody": true, "eligible_for_release": true}, "authority": [detainer, {"type": "state_criminal_warrant", "issued_by": "state_judge"}]}),
		"want": t.want("allow", set(), {}, set(), {"BTA-RPT-01"}),
	},
	"a judicial criminal warrant means the hold is not solely on the detainer": {
		"input": t.request("detain", {"subject": {"in_custody": true, "eligible_for_release": true}, "authority": [detainer, {"type": "judicial_criminal_warrant", "issued_by": "state_judge"}]}),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-WARRANT": "BTA-DET-01"}, set(), {"BTA-RPT-01"}),
	},
	"probable cause in a documented case does not end 'solely' for a person eligible for release": {
		"input": t.request("detain", {"subject": {"in_custody": true, "eligible_for_release": true}, "authority": [detainer, {"type": "criminal_probable_cause"}], "criminal_case": {"id": "P-1"}}),
		"want": t.want("deny", {"BTA-DET-01", "MA-LUNN-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"an immigration judge's order does not end 'solely'": {
		"input": t.request("detain", {"subject": {"in_custody": true, "eligible_for_release": true}, "authority": [detainer, {"type": "judicial_order", "issued_by": "immigration_judge"}]}),
		"want": t.want("deny", {"BTA-DET-01", "MA-LUNN-01"}, {}, set(), {"BTA-RPT-01"}),
	},
}

test_lunn_cases if count(t.failures(cases)) == 0
