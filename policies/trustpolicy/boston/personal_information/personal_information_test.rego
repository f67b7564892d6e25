package trustpolicy.boston.personal_information_test

import data.trustpolicy_test as t

share(agency, information, fields) := t.request("share_information", object.union(
	{"counterpart": {"agency": agency}, "information": information},
	fields,
))

trafficking := {"purpose": "criminal_investigation", "criminal_case": {"id": "HSI-BOS-26-7", "category": "human_trafficking"}}

test_no_personal_information_to_ice if {
	decision := t.decide(share("ICE-ERO", ["home_address"], {"purpose": "civil_immigration_enforcement"}))
	decision.violations == {{
		"rule": "BTA-INFO-01",
		"title": "No personal information to immigration authorities for civil enforcement",
		"citation": "Boston Code § 11-1.9; Boston Trust Act (2019) § 2",
		"confidence": "reported",
		"version": "BTA-2019",
		"message": concat(" ", [
			"Boston Trust Act: personal information may not be given to immigration authorities",
			"for civil immigration enforcement.",
		]),
	}}
}

test_pretext_guard_says_so if {
	decision := t.decide(share("ICE-ERO", ["name"], {"purpose": "criminal_investigation"}))
	[v.message | some v in decision.violations] == [concat(" ", [
		"Boston Trust Act: personal information may not be given to immigration authorities",
		"for civil immigration enforcement. A criminal purpose was claimed without a criminal",
		"case reference, so the request is treated as civil immigration enforcement (pretext guard).",
	])]
}

test_enforcement_agencies_never_qualify_and_the_message_says_so if {
	decision := t.decide(share("ICE-ERO", ["photo"], trafficking))
	[v.message | some v in decision.violations] == [concat(" ", [
		"Boston Trust Act: personal information may not be given to immigration authorities",
		"for civil immigration enforcement. ICE-ERO, CBP and USCIS do not qualify for the",
		"criminal exceptions: without a judicial criminal warrant their request is civil immigration enforcement.",
	])]
}

violent := {"role": "arrestee", "charges": [{"severity": "serious_violent_felony"}]}

cases := {
	"whatever purpose is stated, without a case it is civil": {
		"input": share("USCIS", ["phone"], {"purpose": "statistics"}),
		"want": t.deny({"BTA-INFO-01"}),
	},
	"each item of personal information counts": {
		"input": share("CBP", ["date_of_birth", "work_address", "physical_description"], {}),
		"want": t.deny({"BTA-INFO-01"}),
	},
	"to a department that forwards to ICE": {
		"input": share("CITY_DEPARTMENT", ["name"], {"counterpart": {"agency": "CITY_DEPARTMENT", "forwards_to": ["ICE-ERO"]}}),
		"want": t.deny({"BTA-INFO-01"}),
	},
	"to the FBI, which is not an immigration authority, whatever the stated purpose": {
		"input": share("FBI", ["name"], {"purpose": "civil_immigration_enforcement"}),
		"want": t.allow,
	},
	"to the State Police, known to forward to CBP": {
		"input": share("STATE_POLICE", ["name"], {"counterpart": {"agency": "STATE_POLICE", "forwards_to": ["CBP"]}}),
		"want": t.deny({"BTA-INFO-01"}),
	},
	"to the FBI in a criminal case": {
		"input": share("FBI", ["name", "incident_report"], {"purpose": "criminal_investigation", "criminal_case": {"id": "F-1"}}),
		"want": t.allow,
	},
	"aggregate statistics are not personal information": {
		"input": share("ICE-ERO", ["aggregate_statistics"], {"purpose": "statistics"}),
		"want": t.allow,
	},
	"ICE-HSI in a trafficking case": {
		"input": share("ICE-HSI", ["incident_report", "photo"], trafficking),
		"want": t.want("allow", set(), {"EXC-HSI-CRIMINAL": "BTA-INFO-01"}, set(), set()),
	},
	"ICE-HSI without a criminal case": {
		"input": share("ICE-HSI", ["incident_report"], {"purpose": "criminal_investigation"}),
		"want": t.deny({"BTA-INFO-01"}),
	},
	"ICE-HSI in a case outside its remit": {
		"input": share("ICE-HSI", ["name"], {"purpose": "criminal_investigation", "criminal_case": {"id": "H-3", "category": "other"}}),
		"want": t.deny({"BTA-INFO-01"}),
	},
	"ICE-HSI for removal": {
		"input": share("ICE-HSI", ["name"], {"purpose": "civil_immigration_enforcement", "criminal_case": {"id": "H-4", "category": "narcotics"}}),
		"want": t.deny({"BTA-INFO-01"}),
	},
	"ICE-HSI forwarding to ICE-ERO": {
		"input": share("ICE-HSI", ["name"], object.union(trafficking, {"counterpart": {"agency": "ICE-HSI", "forwards_to": ["ICE-ERO"]}})),
		"want": t.deny({"BTA-INFO-01"}),
	},
	"a city department that forwards to ICE-HSI is treated as ICE-HSI": {
		"input": share("CITY_DEPARTMENT", ["name"], object.union(trafficking, {"counterpart": {"agency": "CITY_DEPARTMENT", "forwards_to": ["ICE-HSI"]}})),
		"want": t.want("allow", set(), {"EXC-HSI-CRIMINAL": "BTA-INFO-01"}, set(), set()),
	},
	"a named person's criminal history": {
		"input": share("ICE-ERO", ["criminal_history"], {"purpose": "criminal_history_check", "subject": violent}),
		"want": t.want("allow", set(), {"EXC-CRIMINAL-HISTORY": "BTA-INFO-01"}, set(), set()),
	},
	"criminal history of a person with no serious violent charge": {
		"input": share("ICE-ERO", ["criminal_history"], {"purpose": "criminal_history_check", "subject": {"role": "arrestee", "charges": [{"severity": "felony"}]}}),
		"want": t.deny({"BTA-INFO-01"}),
	},
	"criminal history with no charges given is a missing fact": {
		"input": share("ICE-ERO", ["criminal_history"], {"purpose": "criminal_history_check"}),
		"want": t.deny({"TP-INPUT-01"}),
	},
	"a state criminal warrant never lifts giving an address to ICE-ERO": {
		"input": share("ICE-ERO", ["home_address"], {"authority": [{"type": "state_criminal_warrant", "issued_by": "state_judge"}], "criminal_case": {"id": "S-2"}}),
		"want": t.deny({"BTA-INFO-01"}),
	},
	"an order in a criminal matter lifts giving a photo": {
		"input": share("ICE-ERO", ["photo"], {"authority": [{"type": "judicial_order", "issued_by": "state_judge"}], "criminal_case": {"id": "1:26-cr-5"}}),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-ORDER": "BTA-INFO-01"}, set(), set()),
	},
	"an order in a civil matter lifts nothing": {
		"input": share("ICE-ERO", ["photo"], {"authority": [{"type": "judicial_order", "issued_by": "federal_judge"}]}),
		"want": t.deny({"BTA-INFO-01"}),
	},
	"criminal history with the name and date of birth that identify the person": {
		"input": share("ICE-ERO", ["name", "date_of_birth", "criminal_history"], {"subject": violent}),
		"want": t.want("allow", set(), {"EXC-CRIMINAL-HISTORY": "BTA-INFO-01"}, set(), set()),
	},
	"criminal history with an address is more than criminal history": {
		"input": share("ICE-ERO", ["criminal_history", "home_address"], {}),
		"want": t.deny({"BTA-INFO-01"}),
	},
	"a judicial criminal warrant": {
		"input": share("ICE-ERO", ["name", "photo"], {"authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}]}),
		"want": t.want("allow", set(), {"EXC-JUDICIAL-WARRANT": "BTA-INFO-01"}, set(), set()),
	},
	"ICE-HSI with a judicial warrant: both exceptions reported": {
		"input": share("ICE-HSI", ["name"], object.union(trafficking, {"authority": [{"type": "judicial_criminal_warrant", "issued_by": "magistrate"}]})),
		"want": t.want("allow", set(), {"EXC-HSI-CRIMINAL": "BTA-INFO-01", "EXC-JUDICIAL-WARRANT": "BTA-INFO-01"}, set(), set()),
	},
	"an ICE administrative warrant is no warrant": {
		"input": share("ICE-ERO", ["name"], {"authority": [{"type": "ice_administrative_warrant", "issued_by": "ice_officer"}]}),
		"want": t.deny({"BTA-INFO-01"}),
	},
	"no recipient": {
		"input": t.request("share_information", {"information": ["name"]}),
		"want": t.deny({"TP-INPUT-01"}),
	},
	"nothing to share": {
		"input": share("ICE-ERO", [], {}),
		"want": t.deny({"TP-INPUT-01"}),
	},
}

test_personal_information_cases if count(t.failures(cases)) == 0
