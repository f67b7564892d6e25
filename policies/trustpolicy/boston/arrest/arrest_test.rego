package trustpolicy.boston.arrest_test

import data.trustpolicy_test as t

ncic_hit := {"type": "ice_administrative_warrant", "issued_by": "ice_officer"}

test_no_arrest_on_an_immigration_hit if {
	decision := t.decide(t.request("arrest", {"authority": [ncic_hit]}))
	decision.violations == {{
		"rule": "BTA-ARR-01",
		"title": "No arrest, stop or extended detention on a civil immigration warrant",
		"citation": "Boston Code § 11-1.9; Boston Trust Act (2019) § 2",
		"confidence": "reported",
		"version": "BTA-2019",
		"message": concat(" ", [
			"Boston Trust Act: no arrest, stop or extended detention may be based on a civil",
			"immigration warrant or an immigration hit.",
		]),
	}}
	decision.outcome == "deny"
}

cases := {
	"an arrest for an immigration operation, with nothing else": {
		"input": t.request("arrest", {"operation": {"primary_purpose": "immigration_enforcement"}, "purpose": "other"}),
		"want": t.deny({"BTA-ARR-01"}),
	},
	"a removal order": {
		"input": t.request("arrest", {"authority": [{"type": "removal_order", "issued_by": "immigration_judge"}]}),
		"want": t.deny({"BTA-ARR-01"}),
	},
	"a stop at ICE's request with no document": {
		"input": t.request("arrest", {"counterpart": {"agency": "CBP"}, "purpose": "other"}),
		"want": t.deny({"BTA-ARR-01"}),
	},
	"for civil enforcement with no document": {
		"input": t.request("arrest", {"purpose": "civil_immigration_enforcement"}),
		"want": t.deny({"BTA-ARR-01"}),
	},
	"a civil detainer as the basis": {
		"input": t.request("arrest", {"authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}]}),
		"want": t.want("deny", {"BTA-ARR-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"a judicial criminal warrant": {
		"input": t.request("arrest", {"authority": [ncic_hit, {"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}]}),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-WARRANT": "BTA-ARR-01"}, set(), set()),
	},
	"probable cause of a crime in a documented case is a different arrest": {
		"input": t.request("arrest", {
			"authority": [ncic_hit, {"type": "criminal_probable_cause"}],
			"purpose": "criminal_investigation",
			"criminal_case": {"id": "BPD-26-1234", "category": "weapons"},
		}),
		"want": t.allow,
	},
	"probable cause with no case beside an immigration hit is not a different arrest": {
		"input": t.request("arrest", {"authority": [ncic_hit, {"type": "criminal_probable_cause"}], "purpose": "criminal_investigation"}),
		"want": t.deny({"BTA-ARR-01"}),
	},
	"the officer's own probable cause in a documented case beside an immigration hit": {
		"input": t.request("arrest", {"authority": [ncic_hit, {"type": "criminal_probable_cause"}], "purpose": "criminal_investigation", "criminal_case": {"id": "BPD-9"}}),
		"want": t.allow,
	},
	"a state criminal warrant is an independent basis for the city's own arrest": {
		"input": t.request("arrest", {"authority": [ncic_hit, {"type": "state_criminal_warrant", "issued_by": "state_judge"}]}),
		"want": t.allow,
	},
	"probable cause claimed without a case for an immigration authority is the pretext": {
		"input": t.request("arrest", {"counterpart": {"agency": "ICE-ERO"}, "authority": [ncic_hit, {"type": "criminal_probable_cause"}], "purpose": "criminal_investigation"}),
		"want": t.deny({"BTA-ARR-01"}),
	},
	"probable cause for civil enforcement is no criminal basis": {
		"input": t.request("arrest", {"authority": [{"type": "criminal_probable_cause"}], "purpose": "civil_immigration_enforcement"}),
		"want": t.deny({"BTA-ARR-01"}),
	},
	"an ordinary criminal arrest": {
		"input": t.request("arrest", {"authority": [{"type": "criminal_probable_cause"}], "purpose": "criminal_investigation"}),
		"want": t.allow,
	},
	"an arrest with no basis given": {
		"input": t.request("arrest", {}),
		"want": t.deny({"TP-INPUT-01"}),
	},
}

test_arrest_cases if count(t.failures(cases)) == 0
