# METADATA
# title: End-to-end tests of data.trustpolicy.decision
# description: >-
#   The twelve worked examples of the contract, the decision document's shape, the derived
#   outcome, the batch entry point, and the helpers every provision's tests use.
package trustpolicy_test

import data.trustpolicy

# An on-duty BPD officer at district D-4, the actor of most cases.
officer := {"agency": "BPD", "role": "police_officer", "district": "D-4"}

# request builds an input document: the officer, an action, and further fields.
request(action, fields) := object.union({"action": action, "actor": officer}, fields)

# summary projects a decision onto what the law decides: the outcome, the rule ids of each
# list, and for exceptions the provisions each one lifted.
summary(decision) := {
	"outcome": decision.outcome,
	"violations": {v.rule | some v in decision.violations},
	"exceptions": {e.rule: e.lifts | some e in decision.exceptions},
	"escalations": {e.rule | some e in decision.escalations},
	"obligations": {o.rule | some o in decision.obligations},
}

# want builds an expected summary.
want(outcome, violations, exceptions, escalations, obligations) := {
	"outcome": outcome,
	"violations": violations,
	"exceptions": exceptions,
	"escalations": escalations,
	"obligations": obligations,
}

allow := want("allow", set(), {}, set(), set())

deny(violations) := want("deny", violations, {}, set(), set())

decide(input_document) := decision if {
	decision := trustpolicy.decision with input as input_document
}

# failures returns the names of the cases whose decision does not match; tests assert it is
# empty, and print what differs so a failing table names its case.
failures(cases) := {name |
	some name, case in cases
	got := summary(decide(case.input))
	got != case.want
	print(name, "got", got, "want", case.want)
}

# The worked examples of the contract (examples/worked-examples.json), as decided.
worked_examples := {
	"1 dismissed charge, detainer, 48-hour hold": {
		"input": request("detain", {
			"subject": {"role": "arrestee", "in_custody": true, "eligible_for_release": true},
			"counterpart": {"agency": "ICE-ERO"},
			"authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}],
			"purpose": "civil_immigration_enforcement",
		}),
		"want": want("deny", {"BTA-DET-01", "MA-LUNN-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"2 same person, federal criminal warrant from a magistrate judge": {
		"input": request("detain", {
			"subject": {"role": "arrestee", "in_custody": true, "eligible_for_release": true},
			"counterpart": {"agency": "ICE-ERO"},
			"authority": [
				{"type": "civil_detainer", "issued_by": "ice_officer"},
				{"type": "judicial_criminal_warrant", "issued_by": "magistrate"},
			],
			"purpose": "criminal_investigation",
			"criminal_case": {"id": "1:26-mj-0100", "statute": "8 USC 1326", "category": "illegal_reentry"},
		}),
		"want": want("allow", set(), {"EXC-JUDICIAL-WARRANT": "BTA-DET-01"}, set(), {"BTA-RPT-01"}),
	},
	"3 traffic stop, officer asks about status": {
		"input": request("inquire_status", {"subject": {"role": "other"}, "purpose": "other"}),
		"want": deny({"BTA-INQ-01"}),
	},
	"4 U-visa certification for a domestic-violence victim": {
		"input": request("inquire_status", {"subject": {"role": "victim"}, "purpose": "visa_certification"}),
		"want": want("allow", set(), {"EXC-VISA-CERT": "BTA-INQ-01"}, set(), set()),
	},
	"5 ICE-ERO asks for a release date for removal": {
		"input": request("share_information", {
			"subject": {"role": "arrestee", "in_custody": true},
			"counterpart": {"agency": "ICE-ERO"},
			"information": ["release_date"],
			"purpose": "civil_immigration_enforcement",
		}),
		"want": deny({"BTA-INFO-02"}),
	},
	"6 ICE-HSI asks for an incident report in a trafficking case": {
		"input": request("share_information", {
			"subject": {"role": "suspect"},
			"counterpart": {"agency": "ICE-HSI"},
			"information": ["incident_report"],
			"purpose": "criminal_investigation",
			"criminal_case": {"id": "HSI-BOS-26-0001", "category": "human_trafficking"},
		}),
		"want": want("allow", set(), {"EXC-HSI-CRIMINAL": "BTA-INFO-01"}, set(), set()),
	},
	"7 ICE asks for a visa copy in the case file": {
		"input": request("share_information", {
			"subject": {"role": "arrestee"},
			"counterpart": {"agency": "ICE-ERO"},
			"information": ["immigration_status"],
			"purpose": "other",
		}),
		"want": want("escalate", set(), {}, {"FED-1373-ESC"}, set()),
	},
	"8 287(g) agreement proposed": {
		"input": request("perform_immigration_function", {
			"counterpart": {"agency": "ICE-ERO"},
			"purpose": "civil_immigration_enforcement",
		}),
		"want": deny({"BTA-ROLE-01"}),
	},
	"9 traffic perimeter for a civil immigration operation": {
		"input": request("commit_resources", {
			"counterpart": {"agency": "ICE-ERO"},
			"operation": {"primary_purpose": "immigration_enforcement", "partner": "ICE-ERO"},
			"purpose": "civil_immigration_enforcement",
		}),
		"want": deny({"BTA-RES-01"}),
	},
	"10 Tara Construction: detective forwards worker's name and hit to ICE-ERO": {
		"input": request("share_information", {
			"subject": {"role": "worker"},
			"counterpart": {"agency": "ICE-ERO"},
			"information": ["name", "immigration_status"],
			"purpose": "civil_immigration_enforcement",
		}),
		"want": want("deny", {"BTA-INFO-01"}, {}, {"FED-1373-ESC"}, set()),
	},
	"11 same, claimed criminal purpose without a criminal case": {
		"input": request("share_information", {
			"subject": {"role": "worker"},
			"counterpart": {"agency": "ICE-ERO"},
			"information": ["name", "immigration_status"],
			"purpose": "criminal_investigation",
		}),
		"want": want("deny", {"BTA-INFO-01"}, {}, {"FED-1373-ESC"}, set()),
	},
	"12 detainer received by fax at district C-11": {
		"input": {
			"action": "receive_detainer",
			"actor": {"agency": "BPD", "role": "police_officer", "district": "C-11"},
			"counterpart": {"agency": "ICE-ERO"},
			"authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}],
		},
		"want": want("allow", set(), {}, set(), {"BTA-RPT-01"}),
	},
}

test_worked_examples_decide_as_the_contract_says if count(failures(worked_examples)) == 0

test_detainer_alone_never_holds_after_release if {
	decision := decide(worked_examples["1 dismissed charge, detainer, 48-hour hold"].input)
	decision.outcome == "deny"
	decision.allowed == false
	decision.policy == {"revision": "unbundled"}
	{v.rule: v.confidence | some v in decision.violations} == {"BTA-DET-01": "text", "MA-LUNN-01": "text"}
}

test_exception_entry_names_what_it_lifts if {
	decision := decide(worked_examples["2 same person, federal criminal warrant from a magistrate judge"].input)
	decision.allowed == true
	decision.exceptions == {{
		"rule": "EXC-JUDICIAL-WARRANT",
		"title": "Criminal warrant issued by a judicial officer",
		"citation": "Boston Code § 11-1.9; Boston Trust Act (2019) §§ 1-2",
		"confidence": "text",
		"version": "BTA-2019",
		"lifts": "BTA-DET-01",
		"lifted": ["BTA-DET-01"],
		"message": concat(" ", [
			"A criminal warrant signed by a judicial officer (federal or state judge, or magistrate)",
			"was presented; the Trust Act does not bar acting on it.",
		]),
	}}
}

test_one_exception_lifting_two_provisions_is_one_entry if {
	decision := decide(request("share_information", {
		"counterpart": {"agency": "ICE-HSI"},
		"information": ["name", "release_date"],
		"purpose": "criminal_investigation",
		"criminal_case": {"id": "HSI-1", "category": "narcotics"},
	}))
	{[e.rule, e.lifts, e.lifted] | some e in decision.exceptions} == {[
		"EXC-HSI-CRIMINAL", "BTA-INFO-01, BTA-INFO-02",
		["BTA-INFO-01", "BTA-INFO-02"],
	]}
}

test_escalation_alone_escalates_and_is_not_allowed if {
	decision := decide(worked_examples["7 ICE asks for a visa copy in the case file"].input)
	decision.outcome == "escalate"
	decision.allowed == false
}

test_malformed_request_is_decided_by_the_input_check_alone if {
	# No provision reads a malformed request, but the detainer that came with it is recorded
	# and status information bound for an immigration authority still goes to legal review.
	decision := decide({
		"action": "share_information", "actor": officer, "typo": 1,
		"counterpart": {"agency": "ICE-ERO"}, "information": ["name", "immigration_status"],
		"authority": [{"type": "civil_detainer"}],
	})
	summary(decision) == want("deny", {"TP-INPUT-01"}, {}, {"FED-1373-ESC"}, {"BTA-RPT-01"})
}

test_no_input_at_all_is_denied if {
	decision := trustpolicy.decision with input as null
	summary(decision) == deny({"TP-INPUT-01"})
	decision.allowed == false
}

test_batch_decides_each_request_in_order if {
	inputs := [case.input | some case in worked_examples]
	results := trustpolicy.batch with input as {"requests": inputs}
	results == [decide(i) | some i in inputs]
	count(results) == 12
}

test_batch_without_requests_is_empty if {
	trustpolicy.batch == [] with input as {}
}

test_revision_comes_from_the_bundle_manifest if {
	decision := decide(request("receive_detainer", {})) with data.system.bundles as {
		"trustpolicy": {"manifest": {"revision": "abc123-def456"}},
		"other": {"manifest": {"revision": ""}},
	}
	decision.policy.revision == "abc123-def456"
}

test_malformed_request_is_denied_even_if_the_input_check_reported_nothing if {
	decision := t_decide_silenced({"action": "detain", "typo": true})
	decision.violations == set()
	decision.outcome == "deny"
	decision.allowed == false
}

t_decide_silenced(input_document) := decision if {
	decision := trustpolicy.decision with input as input_document
		with trustpolicy.engine.input.violations as set()
}

# A provision is one folder: whatever package an instrument holds reaches the decision by its
# folder alone, with each kind of contribution, no import list to edit.
test_a_new_provision_package_is_registered_by_its_folder if {
	entry := {"rule": "BTA-NEW-01", "version": "BTA-2019"}
	provision := {
		"violations": {entry},
		"escalations": {object.union(entry, {"rule": "FED-NEW-ESC"})},
		"obligations": {object.union(entry, {"rule": "BTA-NEW-RPT"})},
		"lifted": {["EXC-JUDICIAL-WARRANT", "BTA-NEW-01"]},
	}
	request_input := request("receive_detainer", {"authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}]})
	every instrument in ["boston", "massachusetts", "federal"] {
		decision := _decide_with_provision(instrument, request_input, provision)
		summary(decision) == want(
			"deny", {"BTA-NEW-01"}, {"EXC-JUDICIAL-WARRANT": "BTA-NEW-01"},
			{"FED-NEW-ESC"}, {"BTA-NEW-RPT"},
		)
	}
}

_decide_with_provision("boston", request_input, provision) := d if {
	d := trustpolicy.decision with input as request_input with trustpolicy.boston as {"new": provision}
}

_decide_with_provision("massachusetts", request_input, provision) := d if {
	d := trustpolicy.decision with input as request_input
		with trustpolicy.massachusetts as {"new": provision}
		with trustpolicy.boston as {}
}

_decide_with_provision("federal", request_input, provision) := d if {
	d := trustpolicy.decision with input as request_input
		with trustpolicy.federal as {"new": provision}
		with trustpolicy.boston as {}
}
