package trustpolicy.exceptions.visa_certification_test

import data.trustpolicy.exceptions.visa_certification

applies_cases := {
	"certifying a victim": [{"purpose": "visa_certification", "subject": {"role": "victim"}}, true],
	"a witness is not the victim": [{"purpose": "visa_certification", "subject": {"role": "witness"}}, false],
	"a victim asked for something else": [{"purpose": "other", "subject": {"role": "victim"}}, false],
	"no subject": [{"purpose": "visa_certification"}, false],
}

test_visa_certification_applies_exactly_where_it_should if {
	wrong := {name |
		some name, [input_document, expected] in applies_cases
		applied := {x | x := visa_certification.applies with input as input_document}
		applied == {true} != expected
	}
	wrong == set()
}

test_visa_certification_metadata_names_what_it_lifts if {
	visa_certification.meta.custom.id != ""
	count(visa_certification.meta.custom.lifts) > 0
}
