package trustpolicy.federal.section_1373_test

import data.trustpolicy_test as t

share(agency, information, fields) := t.request("share_information", object.union(
	{"counterpart": {"agency": agency}, "information": information},
	fields,
))

test_status_information_goes_to_legal_review if {
	decision := t.decide(share("ICE-ERO", ["citizenship"], {"purpose": "other"}))
	decision.outcome == "escalate"
	decision.escalations == {{
		"rule": "FED-1373-ESC",
		"title": "Status information to immigration authorities goes to legal review",
		"citation": "8 U.S.C. § 1373",
		"confidence": "text",
		"version": "US-1373",
		"message": concat(" ", [
			"The request includes citizenship or immigration-status information (8 U.S.C.",
			"§ 1373): refer it to legal review before anything is sent.",
		]),
	}}
}

cases := {
	"status to ICE-HSI in a criminal case still escalates": {
		"input": share("ICE-HSI", ["immigration_status"], {"purpose": "criminal_investigation", "criminal_case": {"id": "H-1", "category": "gang"}}),
		"want": t.want("escalate", set(), {}, {"FED-1373-ESC"}, set()),
	},
	"status with a judicial warrant still escalates": {
		"input": share("ICE-ERO", ["immigration_status", "name"], {"authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}]}),
		"want": t.want("escalate", set(), {"EXC-JUDICIAL-WARRANT": "BTA-INFO-01"}, {"FED-1373-ESC"}, set()),
	},
	"status and release date: deny wins, escalation still shown": {
		"input": share("ICE-ERO", ["citizenship", "release_date"], {"purpose": "civil_immigration_enforcement"}),
		"want": t.want("deny", {"BTA-INFO-02"}, {}, {"FED-1373-ESC"}, set()),
	},
	"status to a benefits office that is not an immigration authority": {
		"input": share("OTHER", ["immigration_status"], {"purpose": "benefit_eligibility"}),
		"want": t.allow,
	},
	"status to an agency known to forward to USCIS": {
		"input": share("OTHER", ["immigration_status"], {"counterpart": {"agency": "OTHER", "forwards_to": ["USCIS"]}}),
		"want": t.want("escalate", set(), {}, {"FED-1373-ESC"}, set()),
	},
}

test_section_1373_cases if count(t.failures(cases)) == 0
