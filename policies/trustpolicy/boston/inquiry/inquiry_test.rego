package trustpolicy.boston.inquiry_test

import data.trustpolicy_test as t

test_officer_may_not_ask_about_status if {
	decision := t.decide(t.request("inquire_status", {"subject": {"role": "other"}, "purpose": "other"}))
	decision.violations == {{
		"rule": "BTA-INQ-01",
		"title": "No questions about immigration or citizenship status",
		"citation": "Boston Code § 11-1.9; Boston Trust Act (2019) § 2",
		"confidence": "reported",
		"version": "BTA-2019",
		"message": concat(" ", [
			"Boston Trust Act: police officers may not ask about or look up a person's",
			"immigration or citizenship status.",
		]),
	}}
}

victim := {"subject": {"role": "victim"}}

reentry_case := {"criminal_case": {"id": "1:26-cr-0042", "statute": "8 U.S.C. § 1326(a)"}}

cases := {
	"no subject and no purpose still denies": {
		"input": t.request("inquire_status", {}),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"asking for civil enforcement denies": {
		"input": t.request("inquire_status", {"purpose": "civil_immigration_enforcement"}),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"a city employee checking benefit eligibility is not a police inquiry": {
		"input": object.union(t.request("inquire_status", {"purpose": "benefit_eligibility"}), {"actor": {"role": "city_employee"}}),
		"want": t.allow,
	},
	"visa certification for a victim": {
		"input": t.request("inquire_status", object.union(victim, {"purpose": "visa_certification"})),
		"want": t.want("allow", set(), {"EXC-VISA-CERT": "BTA-INQ-01"}, set(), set()),
	},
	"visa certification for a witness who is not the victim does not qualify": {
		"input": t.request("inquire_status", {"subject": {"role": "witness"}, "purpose": "visa_certification"}),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"a victim asked for another purpose does not qualify": {
		"input": t.request("inquire_status", object.union(victim, {"purpose": "other"})),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"status is an element of illegal re-entry in a documented case": {
		"input": t.request("inquire_status", object.union(reentry_case, {"purpose": "criminal_investigation"})),
		"want": t.want("allow", set(), {"EXC-CRIMINAL-ELEMENT": "BTA-INQ-01"}, set(), set()),
	},
	"immigration document fraud by statute": {
		"input": t.request("inquire_status", {
			"purpose": "criminal_investigation",
			"criminal_case": {"id": "C-1", "statute": "18 USC 1546", "category": "document_fraud"},
		}),
		"want": t.want("allow", set(), {"EXC-CRIMINAL-ELEMENT": "BTA-INQ-01"}, set(), set()),
	},
	"illegal re-entry by category": {
		"input": t.request("inquire_status", {"criminal_case": {"id": "C-2", "category": "illegal_reentry"}}),
		"want": t.want("allow", set(), {"EXC-CRIMINAL-ELEMENT": "BTA-INQ-01"}, set(), set()),
	},
	"a statute that only starts with the same digits is another statute": {
		"input": t.request("inquire_status", {"criminal_case": {"id": "C-3", "statute": "8 USC 13260"}}),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"document fraud with no statute named does not make status an element": {
		"input": t.request("inquire_status", {"purpose": "criminal_investigation", "criminal_case": {"id": "C-5", "category": "document_fraud"}}),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"smuggling under 8 USC 1324 (interpretation)": {
		"input": t.request("inquire_status", {"purpose": "criminal_investigation", "criminal_case": {"id": "C-6", "statute": "8 USC 1324"}}),
		"want": t.want("allow", set(), {"EXC-CRIMINAL-ELEMENT": "BTA-INQ-01"}, set(), set()),
	},
	"a re-entry case never qualifies when ICE-ERO asks": {
		"input": t.request("inquire_status", {"counterpart": {"agency": "ICE-ERO"}, "purpose": "criminal_investigation", "criminal_case": {"id": "C-7", "statute": "8 USC 1326"}}),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"consular notification for an arrested person in custody": {
		"input": t.request("inquire_status", {"subject": {"role": "arrestee", "in_custody": true}, "purpose": "consular_notification"}),
		"want": t.want("allow", set(), {"EXC-CONSULAR-NOTICE": "BTA-INQ-01"}, set(), set()),
	},
	"consular notification for a person not in custody does not qualify": {
		"input": t.request("inquire_status", {"subject": {"role": "witness", "in_custody": false}, "purpose": "consular_notification"}),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"consular notification asked for ICE-ERO does not qualify": {
		"input": t.request("inquire_status", {"subject": {"role": "arrestee", "in_custody": true}, "counterpart": {"agency": "ICE-ERO"}, "purpose": "consular_notification"}),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"visa certification asked for ICE-ERO does not qualify": {
		"input": t.request("inquire_status", {"subject": {"role": "victim"}, "counterpart": {"agency": "ICE-ERO"}, "purpose": "visa_certification"}),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"ordinary document fraud does not make status an element": {
		"input": t.request("inquire_status", {"criminal_case": {"id": "C-4", "category": "document_fraud", "statute": "M.G.L. c. 90 § 24B"}}),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"a criminal purpose without a case does not qualify": {
		"input": t.request("inquire_status", {"purpose": "criminal_investigation", "criminal_case": {"id": ""}}),
		"want": t.deny({"TP-INPUT-01"}),
	},
	"a documented case stated for civil enforcement does not qualify": {
		"input": t.request("inquire_status", object.union(reentry_case, {"purpose": "civil_immigration_enforcement"})),
		"want": t.deny({"BTA-INQ-01"}),
	},
	"both exceptions together are both reported": {
		"input": t.request("inquire_status", object.union_n([victim, reentry_case, {"purpose": "visa_certification"}])),
		"want": t.want("allow", set(), {"EXC-VISA-CERT": "BTA-INQ-01", "EXC-CRIMINAL-ELEMENT": "BTA-INQ-01"}, set(), set()),
	},
}

test_inquiry_cases if count(t.failures(cases)) == 0
