package trustpolicy.exceptions.visa_certification_test

import data.trustpolicy.exceptions.visa_certification

certify := {"action": "inquire_status", "purpose": "visa_certification", "subject": {"role": "victim"}}

applies_cases := {
	"certifying a victim": [certify, true],
	"a certification sent to USCIS, which decides the visa": [object.union(certify, {"counterpart": {"agency": "USCIS"}}), true],
	"never asked for ICE-ERO": [object.union(certify, {"counterpart": {"agency": "ICE-ERO"}}), false],
	"never forwarded to CBP": [object.union(certify, {"counterpart": {"agency": "OTHER", "forwards_to": ["CBP"]}}), false],
	"never for ICE-HSI": [object.union(certify, {"counterpart": {"agency": "ICE-HSI"}}), false],
	"a witness is not the victim": [object.union(certify, {"subject": {"role": "witness"}}), false],
	"a victim asked for something else": [object.union(certify, {"purpose": "other"}), false],
	"no subject": [{"action": "inquire_status", "purpose": "visa_certification"}, false],
	"not a question": [object.union(certify, {"action": "share_information"}), false],
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
