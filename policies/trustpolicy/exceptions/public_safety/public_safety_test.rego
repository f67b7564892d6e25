package trustpolicy.exceptions.public_safety_test

import data.trustpolicy.exceptions.public_safety

applies_cases := {
	"keeping the peace": [{"purpose": "public_safety"}, true],
	"civil enforcement": [{"purpose": "civil_immigration_enforcement"}, false],
	"no purpose": [{}, false],
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
