package system.log_test

import data.system.log

_upsert(value) := {{"op": "upsert", "path": "/input", "value": value}}

# Worked example 1 as logged: nothing to mask.
_detainer_hold := {
	"action": "detain",
	"actor": {"agency": "BPD", "role": "police_officer", "district": "D-4"},
	"subject": {"role": "arrestee", "in_custody": true, "eligible_for_release": true},
	"counterpart": {"agency": "ICE-ERO", "forwards_to": ["ICE-ERO"]},
	"authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}],
	"purpose": "civil_immigration_enforcement",
	"information": ["release_date", "immigration_status"],
	"operation": {"primary_purpose": "immigration_enforcement", "partner": "ICE-ERO"},
	"criminal_case": {"category": "illegal_reentry"},
}

test_reportable_input_is_logged_unchanged if {
	log.mask == set() with input as {"input": _detainer_hold, "result": {"outcome": "deny"}}
}

test_event_without_input_is_not_masked if {
	log.mask == set() with input as {"decision_id": "x", "result": {"outcome": "deny"}}
}

test_case_number_is_replaced_by_a_marker_and_replay_facts_are_kept if {
	facts := {
		"subject": {
			"role": "arrestee", "in_custody": true, "eligible_for_release": true,
			"charges": [{"severity": "misdemeanor"}, {"severity": "serious_violent_felony"}],
		},
		"occurred_at": "2026-03-01T10:00:00Z",
		"detainer": {
			"form": "I-247A", "basis": ["biometric_records_match"], "received_via": "fax",
			"received_at": "2026-03-01T09:00:00-05:00", "reference": "1234567890",
		},
	}
	logged := object.union_n([_detainer_hold, facts, {"criminal_case": {"id": "1:26-mj-0100", "statute": "8 USC 1326", "category": "illegal_reentry"}}])
	kept := object.union_n([_detainer_hold, facts, {"criminal_case": {"id": "on-file", "statute": "8 USC 1326", "category": "illegal_reentry"}}])
	log.mask == _upsert(kept) with input as {"input": logged}
}

test_free_text_outside_the_schema_limits_is_dropped if {
	logged := object.union(_detainer_hold, {
		"actor": {"agency": "BPD", "role": "police_officer", "district": concat("", ["D-4 ", "x", "\u202e"])},
		"occurred_at": "Jane Roe, undocumented",
		"detainer": {"reference": "", "received_at": "yesterday", "form": "I-247A"},
	})
	kept := object.union(
		object.remove(_detainer_hold, {"actor"}),
		{"actor": {"agency": "BPD", "role": "police_officer"}, "detainer": {"form": "I-247A"}},
	)
	log.mask == _upsert(kept) with input as {"input": logged}
}

test_fields_outside_the_contract_are_removed if {
	logged := object.union(_detainer_hold, {
		"name": "Jane Roe",
		"actor": {"agency": "BPD", "role": "police_officer", "district": "D-4", "badge": "1234"},
		"subject": {
			"role": "arrestee", "in_custody": true, "eligible_for_release": true,
			"immigration_status": "undocumented", "date_of_birth": "1990-01-01",
		},
		"counterpart": {"agency": "ICE-ERO", "forwards_to": ["ICE-ERO"], "officer": "Agent Smith"},
		"authority": [{"type": "civil_detainer", "issued_by": "ice_officer", "a_number": "A012345678"}],
	})
	log.mask == _upsert(_detainer_hold) with input as {"input": logged}
}

test_values_outside_their_enumeration_or_type_are_removed if {
	logged := {
		"action": "detain",
		"actor": {"agency": 7, "role": "Officer Jane Roe", "district": ["D-4"]},
		"subject": {"role": "arrestee", "in_custody": "yes", "eligible_for_release": true},
		"counterpart": {"agency": "ICE-ERO", "forwards_to": ["ICE-ERO", "Jane Roe", {"x": 1}]},
		"authority": [
			{"type": "civil_detainer", "issued_by": "Agent Smith"},
			"free text about Jane Roe",
		],
		"purpose": "status: undocumented",
		"information": ["name", "undocumented"],
		"criminal_case": "1:26-mj-0100",
	}
	log.mask == _upsert({
		"action": "detain",
		"actor": {},
		"subject": {"role": "arrestee", "eligible_for_release": true},
		"counterpart": {"agency": "ICE-ERO", "forwards_to": ["ICE-ERO"]},
		"authority": [{"type": "civil_detainer"}],
		"information": ["name"],
	}) with input as {"input": logged}
}

test_lists_and_objects_of_the_wrong_shape_are_removed if {
	logged := {
		"action": ["detain"],
		"actor": "Officer Jane Roe",
		"authority": {"type": "civil_detainer"},
		"information": "immigration_status",
		"counterpart": {"forwards_to": "ICE-ERO"},
		"operation": [{"partner": "ICE-ERO"}],
	}
	log.mask == _upsert({"counterpart": {}}) with input as {"input": logged}
}

test_input_that_is_not_an_object_is_replaced_by_an_empty_object if {
	log.mask == _upsert({}) with input as {"input": "Jane Roe, born 1990-01-01, undocumented"}
}

test_each_request_of_a_batch_is_projected_on_its_own if {
	logged := {"requests": [
		object.union(_detainer_hold, {"name": "Jane Roe", "criminal_case": {"id": "1:26-mj-1", "category": "other"}}),
		"not an object",
		_detainer_hold,
	]}
	kept := {"requests": [
		object.union(_detainer_hold, {"criminal_case": {"id": "on-file", "category": "other"}}),
		{},
		_detainer_hold,
	]}
	log.mask == _upsert(kept) with input as {"input": logged}
}
