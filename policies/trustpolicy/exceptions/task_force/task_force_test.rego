package trustpolicy.exceptions.task_force_test

import data.trustpolicy.exceptions.task_force

joint := {"action": "join_operation", "operation": {"primary_purpose": "criminal_enforcement", "partner": "ICE-HSI"}}

applies_cases := {
	"a criminal task force in a documented case": [object.union(joint, {"criminal_case": {"id": "T"}}), true],
	"no case": [joint, false],
	"joined for civil enforcement": [object.union(joint, {"criminal_case": {"id": "T"}, "purpose": "civil_immigration_enforcement"}), false],
	"an immigration operation": [object.union(joint, {"operation": {"primary_purpose": "immigration_enforcement"}, "criminal_case": {"id": "T"}}), false],
	"performing an immigration function": [object.union(joint, {"action": "perform_immigration_function", "criminal_case": {"id": "T"}}), false],
	"never with ICE-ERO as the partner": [object.union(joint, {"operation": {"primary_purpose": "criminal_enforcement", "partner": "ICE-ERO"}, "criminal_case": {"id": "T"}}), false],
	"never with CBP as the counterpart": [object.union(joint, {"counterpart": {"agency": "CBP"}, "criminal_case": {"id": "T"}}), false],
	"never when the work is forwarded to USCIS": [object.union(joint, {"counterpart": {"agency": "FBI", "forwards_to": ["USCIS"]}, "criminal_case": {"id": "T"}}), false],
}

test_task_force_applies_exactly_where_it_should if {
	wrong := {name |
		some name, [input_document, expected] in applies_cases
		applied := {x | x := task_force.applies with input as input_document}
		applied == {true} != expected
	}
	wrong == set()
}

test_task_force_metadata_names_what_it_lifts if {
	task_force.meta.custom.id != ""
	count(task_force.meta.custom.lifts) > 0
}
