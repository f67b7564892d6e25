package trustpolicy.boston.release_information_test

import data.trustpolicy_test as t

share(agency, information, fields) := t.request("share_information", object.union(
	{"counterpart": {"agency": agency}, "information": information},
	fields,
))

test_no_release_date_to_ice if {
	decision := t.decide(share("ICE-ERO", ["release_date"], {"purpose": "civil_immigration_enforcement"}))
	decision.violations == {{
		"rule": "BTA-INFO-02",
		"title": "No release dates or custody status to immigration authorities",
		"citation": "Boston Code § 11-1.9; Boston Trust Act (2019) § 2",
		"confidence": "reported",
		"version": "BTA-2019",
		"message": concat(" ", [
			"Boston Trust Act: release dates, release times and custody status may not be given",
			"to immigration authorities for civil immigration enforcement.",
		]),
	}}
}

cases := {
	"custody status": {
		"input": share("ICE-ERO", ["custody_status"], {"purpose": "other"}),
		"want": t.deny({"BTA-INFO-02"}),
	},
	"release date and name together": {
		"input": share("CBP", ["release_date", "name"], {}),
		"want": t.deny({"BTA-INFO-01", "BTA-INFO-02"}),
	},
	"a claimed criminal purpose without a case": {
		"input": share("ICE-ERO", ["release_date"], {"purpose": "criminal_investigation"}),
		"want": t.deny({"BTA-INFO-02"}),
	},
	"a criminal case does not make ICE-ERO criminal": {
		"input": share("ICE-ERO", ["release_date"], {"purpose": "criminal_investigation", "criminal_case": {"id": "E-1", "category": "narcotics"}}),
		"want": t.deny({"BTA-INFO-02"}),
	},
	"a request for more than criminal history is not limited to it": {
		"input": share("ICE-ERO", ["criminal_history", "release_date"], {}),
		"want": t.deny({"BTA-INFO-01", "BTA-INFO-02"}),
	},
	"a judicial criminal warrant": {
		"input": share("ICE-ERO", ["release_date"], {"authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}]}),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-WARRANT": "BTA-INFO-02"}, set(), set()),
	},
	"ICE-HSI in a documented narcotics case": {
		"input": share("ICE-HSI", ["custody_status"], {"purpose": "criminal_investigation", "criminal_case": {"id": "H-9", "category": "narcotics"}}),
		"want": t.want("allow", set(), {"EXC-HSI-CRIMINAL": "BTA-INFO-02"}, set(), set()),
	},
	"a release date to the court": {
		"input": share("COURT", ["release_date"], {"purpose": "other"}),
		"want": t.allow,
	},
}

test_release_information_cases if count(t.failures(cases)) == 0
