package trustpolicy.boston.detention_test

import data.trustpolicy_test as t

releasable := {"role": "arrestee", "in_custody": true, "eligible_for_release": true}

detainer := {"type": "civil_detainer", "issued_by": "ice_officer"}

hold(authority, fields) := t.request("detain", object.union({"subject": releasable, "authority": authority}, fields))

test_detainer_alone_never_holds_after_release if {
	decision := t.decide(hold([detainer], {}))
	decision.violations == {
		{
			"rule": "BTA-DET-01",
			"title": "No detention on a civil detainer or administrative warrant after release",
			"citation": "Boston Code § 11-1.9; Boston Trust Act (2019) §§ 1-2",
			"confidence": "text",
			"version": "BTA-2019",
			"message": concat(" ", [
				"Boston Trust Act: a person eligible for release may not be held on a civil",
				"immigration detainer or an ICE administrative warrant; release them.",
			]),
		},
		{
			"rule": "MA-LUNN-01",
			"title": "No holding a person solely on a civil detainer (Lunn v. Commonwealth)",
			"citation": "Lunn v. Commonwealth, 477 Mass. 517 (2017)",
			"confidence": "text",
			"version": "MA-LUNN",
			"message": concat(" ", [
				"Massachusetts law (Lunn v. Commonwealth): no one may be held solely on a civil",
				"immigration detainer past the time they would otherwise be released.",
			]),
		},
	}
}

cases := {
	"an ICE administrative warrant alone": {
		"input": hold([{"type": "ice_administrative_warrant", "issued_by": "ice_officer"}], {}),
		"want": t.deny({"BTA-DET-01"}),
	},
	"an immigration judge's removal order is civil": {
		"input": hold([{"type": "removal_order", "issued_by": "immigration_judge"}], {}),
		"want": t.deny({"BTA-DET-01"}),
	},
	"a 'criminal warrant' signed by an ICE officer is administrative": {
		"input": hold([{"type": "judicial_criminal_warrant", "issued_by": "ice_officer"}], {}),
		"want": t.deny({"BTA-DET-01"}),
	},
	"a hold asked by ICE with no document": {
		"input": hold([], {"counterpart": {"agency": "ICE-ERO"}}),
		"want": t.deny({"BTA-DET-01"}),
	},
	"a hold for civil enforcement with no document": {
		"input": hold([], {"purpose": "civil_immigration_enforcement"}),
		"want": t.deny({"BTA-DET-01"}),
	},
	"not yet eligible for release: the criminal hold continues": {
		"input": t.request("detain", {
			"subject": {"role": "arrestee", "in_custody": true, "eligible_for_release": false},
			"authority": [detainer],
		}),
		"want": t.want("allow", set(), {}, set(), {"BTA-RPT-01"}),
	},
	"a judicial warrant lifts the city rule and ends 'solely'": {
		"input": hold([detainer, {"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}], {}),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-WARRANT": "BTA-DET-01"}, set(), {"BTA-RPT-01"}),
	},
	"a state warrant from a state judge is the city's own basis: not solely on the detainer": {
		"input": hold([detainer, {"type": "state_criminal_warrant", "issued_by": "state_judge"}], {}),
		"want": t.want("allow", set(), {}, set(), {"BTA-RPT-01"}),
	},
	"a state warrant signed by an ICE officer is no basis": {
		"input": hold([detainer, {"type": "state_criminal_warrant", "issued_by": "ice_officer"}], {}),
		"want": t.want("deny", {"BTA-DET-01", "MA-LUNN-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"a detainer as received counts as a detainer": {
		"input": t.request("detain", {"subject": releasable, "detainer": {"form": "I-247A", "received_via": "fax"}}),
		"want": t.want("deny", {"BTA-DET-01", "MA-LUNN-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"custody not given is a missing fact even with release eligibility: hold or stop?": {
		"input": t.request("detain", {"subject": {"eligible_for_release": true}, "authority": [detainer]}),
		"want": t.want("deny", {"TP-INPUT-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"a person not in custody detained on an administrative warrant is a stop (BTA-ARR-01)": {
		"input": t.request("detain", {"subject": {"in_custody": false, "eligible_for_release": true}, "authority": [{"type": "ice_administrative_warrant", "issued_by": "ice_officer"}]}),
		"want": t.deny({"BTA-ARR-01"}),
	},
	"a stop on an immigration hit with a judicial criminal warrant": {
		"input": t.request("detain", {"subject": {"in_custody": false}, "authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}], "counterpart": {"agency": "ICE-ERO"}}),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-WARRANT": "BTA-ARR-01"}, set(), set()),
	},
	"a hold for ICE-ERO with no document at all": {
		"input": t.request("detain", {"subject": releasable, "counterpart": {"agency": "ICE-ERO"}}),
		"want": t.deny({"BTA-DET-01"}),
	},
	"a court order is not a warrant": {
		"input": hold([detainer, {"type": "judicial_order", "issued_by": "state_judge"}], {}),
		"want": t.want("deny", {"BTA-DET-01", "MA-LUNN-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"probable cause of a crime does not lift a detainer hold": {
		"input": hold([detainer, {"type": "criminal_probable_cause"}], {"criminal_case": {"id": "C-9"}}),
		"want": t.want("deny", {"BTA-DET-01", "MA-LUNN-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"a hold for the Marshals on a judicial warrant is not immigration": {
		"input": hold([{"type": "judicial_criminal_warrant", "issued_by": "magistrate"}], {"counterpart": {"agency": "USMS"}}),
		"want": t.allow,
	},
	"a detention with no immigration element": {
		"input": hold([{"type": "criminal_probable_cause"}], {"criminal_case": {"id": "C-10"}, "purpose": "criminal_investigation"}),
		"want": t.allow,
	},
	"eligibility for release missing: denied, and the detainer still recorded": {
		"input": t.request("detain", {"subject": {"role": "arrestee"}, "authority": [detainer]}),
		"want": t.want("deny", {"TP-INPUT-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"eligibility for release missing on an immigration authority's request": {
		"input": t.request("detain", {"counterpart": {"agency": "CBP"}}),
		"want": t.deny({"TP-INPUT-01"}),
	},
	"eligibility for release does not matter to a detention with no immigration element": {
		"input": t.request("detain", {
			"counterpart": {"agency": "FBI"},
			"authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}],
			"criminal_case": {"id": "F-7"},
		}),
		"want": t.allow,
	},
	"a warrant without its issuer": {
		"input": hold([detainer, {"type": "judicial_criminal_warrant"}], {}),
		"want": t.want("deny", {"TP-INPUT-01"}, {}, set(), {"BTA-RPT-01"}),
	},
}

test_detention_cases if count(t.failures(cases)) == 0
