package trustpolicy.engine.input_test

import data.trustpolicy_test as t

problems(input_document) := {p | some v in t.decide(input_document).violations; some p in v.problems}

test_malformed_request_lists_every_problem_by_field if {
	decision := t.decide({
		"action": "deport",
		"actor": {"agency": "BPD", "role": "sheriff", "badge": 7},
		"subject": {"in_custody": "yes"},
		"counterpart": {"agency": "ICE", "forwards_to": ["ICE-ERO", "NSA"]},
		"authority": [{"type": "civil_detainer", "issued_by": "ice"}],
		"information": ["name", "ssn"],
		"occurred_at": "yesterday",
		"criminal_case": {"id": ""},
	})
	decision.outcome == "deny"
	decision.allowed == false
	{v.rule | some v in decision.violations} == {"TP-INPUT-01"}
	fields := {split(p, ":")[0] | some v in decision.violations; some p in v.problems}
	fields == {
		"action", "actor", "actor.role", "subject.in_custody", "counterpart.agency",
		"counterpart.forwards_to.1", "authority.0.issued_by", "information.1", "occurred_at",
		"criminal_case.id",
	}
}

test_control_and_invisible_characters_are_refused if {
	problems(object.union(t.request("receive_detainer", {}), {"actor": {"agency": "B\u200bPD"}})) == {
		"actor.agency: contains control or invisible formatting characters",
	}
}

test_wrong_types_are_named if {
	problems({"action": 1, "actor": "BPD"}) == {
		"action: Invalid type. Expected: string, given: integer",
		"actor: Invalid type. Expected: object, given: string",
	}
}

test_a_request_that_is_not_an_object if {
	problems(["detain"]) == {"input: a JSON object with at least action and actor is required"}
	problems("detain") == {"input: a JSON object with at least action and actor is required"}
}

test_long_problem_lists_are_cut_in_the_message if {
	decision := t.decide(object.union(
		{"action": "detain", "actor": t.officer, "subject": {"eligible_for_release": true}},
		{sprintf("field_%02d", [i]): i | some i in numbers.range(1, 25)},
	))
	[v | some v in decision.violations; count(v.problems) == 25; endswith(v.message, "; and 5 more")] != []
}

cases := {
	"missing actor: denied, and the detainer that arrived still recorded": {"input": {"action": "receive_detainer"}, "want": t.want("deny", {"TP-INPUT-01"}, {}, set(), {"BTA-RPT-01"})},
	"a malformed request without a detainer records nothing": {"input": {"action": "arrest"}, "want": t.deny({"TP-INPUT-01"})},
	"unknown action": {"input": t.request("deport", {}), "want": t.deny({"TP-INPUT-01"})},
	"unknown enum value deep in an array": {
		"input": t.request("arrest", {"authority": [{"type": "civil_detainer", "issued_by": "sheriff"}]}),
		"want": t.want("deny", {"TP-INPUT-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"a date that is not RFC 3339": {
		"input": t.request("receive_detainer", {"occurred_at": "25/11/2026"}),
		"want": t.want("deny", {"TP-INPUT-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"an RFC 3339 date": {
		"input": t.request("receive_detainer", {"occurred_at": "2026-11-25T16:51:00-05:00"}),
		"want": t.want("allow", set(), {}, set(), {"BTA-RPT-01"}),
	},
	"a district hiding a bidi override": {
		"input": object.union(t.request("receive_detainer", {}), {"actor": {"district": "C-\u202e11"}}),
		"want": t.want("deny", {"TP-INPUT-01"}, {}, set(), {"BTA-RPT-01"}),
	},
	"a district written another way is still recorded": {
		"input": object.union(t.request("receive_detainer", {}), {"actor": {"district": "District c-11"}}),
		"want": t.want("allow", set(), {}, set(), {"BTA-RPT-01"}),
	},
	"too many documents": {
		"input": t.request("arrest", {"authority": [{"type": "criminal_probable_cause"} | some _ in numbers.range(1, 17)]}),
		"want": t.deny({"TP-INPUT-01"}),
	},
	"a null where a value belongs": {
		"input": t.request("arrest", {"purpose": null}),
		"want": t.deny({"TP-INPUT-01"}),
	},
}

test_input_cases if count(t.failures(cases)) == 0

test_missing_facts_name_the_provision_that_needs_them if {
	problems(t.request("detain", {"purpose": "civil_immigration_enforcement"})) == {
		"subject.in_custody: required to tell a hold in custody (BTA-DET-01) from a stop (BTA-ARR-01)",
	}
	problems(t.request("detain", {"subject": {"in_custody": true}, "purpose": "civil_immigration_enforcement"})) == {
		"subject.eligible_for_release: required to decide a hold in custody (BTA-DET-01, MA-LUNN-01)",
	}
	problems(object.union(t.request("inquire_status", {}), {"actor": {"role": "city_employee"}})) == {
		"purpose: required to decide a city employee's status look-up (BTA-RES-01)",
	}
	problems(t.request("share_information", {"counterpart": {"agency": "CBP"}, "information": ["criminal_history"]})) == {
		"subject.charges: required to decide a request limited to criminal history (EXC-CRIMINAL-HISTORY)",
	}
	problems(t.request("arrest", {})) == {"authority or purpose: required to know the basis of an arrest (BTA-ARR-01)"}
	problems(t.request("transfer_custody", {})) == {"counterpart: required to know who receives (BTA-XFER-01)"}
	problems(t.request("share_information", {})) == {
		"counterpart: required to know who receives (BTA-INFO-01, BTA-INFO-02)",
		"information: required to know what would be shared (BTA-INFO-01, BTA-INFO-02)",
	}
	problems(t.request("commit_resources", {})) == {"operation or counterpart: required to know whom the resources serve (BTA-RES-01)"}
	problems(t.request("share_information", {"counterpart": {"agency": "FBI"}, "information": ["name"], "detainer": {"form": "I-247A"}})) == {
		"detainer: only for receive_detainer, detain or transfer_custody",
	}
	problems(t.request("join_operation", {})) == {"operation.primary_purpose: required to decide joining an operation (BTA-ROLE-01)"}
	problems(t.request("transfer_custody", {"counterpart": {"agency": "ICE-ERO"}, "authority": [{"type": "judicial_order"}]})) == {
		"authority[0].issued_by: required for a judicial_order: who issued it decides whether it is judicial",
	}
}

# The generated fast check (conforms.rego) proves a full detainer valid, and leaves a bad one
# to json.match_schema, which names the field.
detainer_received := {
	"action": "receive_detainer",
	"actor": {"agency": "BPD", "role": "police_officer"},
	"detainer": {
		"form": "I-247A",
		"basis": ["biometric_records_match"],
		"received_via": "fax",
		"received_at": "2026-03-01T10:00:00-05:00",
		"reference": "D-2026-0042",
	},
}

test_a_full_detainer_is_proved_valid_by_the_fast_check if {
	data.trustpolicy.engine.input.conforms with input as detainer_received
	t.decide(detainer_received).outcome == "allow"
}

test_a_bad_detainer_is_left_to_the_schema if {
	bad := json.patch(detainer_received, [{"op": "replace", "path": "/detainer/basis/0", "value": "hunch"}])
	not data.trustpolicy.engine.input.conforms with input as bad
	some problem in problems(bad)
	startswith(problem, "detainer.basis.0:")
}
