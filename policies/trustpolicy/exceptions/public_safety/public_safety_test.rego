package trustpolicy.exceptions.public_safety_test

import data.trustpolicy.exceptions.public_safety

peace := {"action": "commit_resources", "purpose": "public_safety", "operation": {"primary_purpose": "public_safety"}}

applies_cases := {
	"keeping the peace at a public-safety scene": [peace, true],
	"keeping the peace beside ICE-HSI": [object.union(peace, {"counterpart": {"agency": "ICE-HSI"}}), true],
	"never for ICE-ERO": [object.union(peace, {"counterpart": {"agency": "ICE-ERO"}}), false],
	"never with CBP as the partner": [object.union(peace, {"operation": {"primary_purpose": "public_safety", "partner": "CBP"}}), false],
	"never for USCIS through a forwarder": [object.union(peace, {"counterpart": {"agency": "OTHER", "forwards_to": ["USCIS"]}}), false],
	"never around an immigration operation": [object.union(peace, {"operation": {"primary_purpose": "immigration_enforcement"}}), false],
	"the label alone does not lift": [{"action": "commit_resources", "purpose": "public_safety"}, false],
	"civil enforcement": [object.union(peace, {"purpose": "civil_immigration_enforcement"}), false],
	"not a commitment of resources": [object.union(peace, {"action": "join_operation"}), false],
}

test_public_safety_applies_exactly_where_it_should if {
	wrong := {name |
		some name, [input_document, expected] in applies_cases
		applied := {x | x := public_safety.applies with input as input_document}
		applied == {true} != expected
	}
	wrong == set()
}

test_public_safety_metadata_names_what_it_lifts if {
	public_safety.meta.custom.id != ""
	count(public_safety.meta.custom.lifts) > 0
}
