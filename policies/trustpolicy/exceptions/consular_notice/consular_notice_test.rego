package trustpolicy.exceptions.consular_notice_test

import data.trustpolicy.exceptions.consular_notice

notify := {"action": "inquire_status", "purpose": "consular_notification", "subject": {"role": "arrestee", "in_custody": true}}

applies_cases := {
	"an arrested person in custody": [notify, true],
	"a person not in custody": [object.union(notify, {"subject": {"role": "suspect", "in_custody": false}}), false],
	"custody not known": [{"action": "inquire_status", "purpose": "consular_notification", "subject": {"role": "arrestee"}}, false],
	"never for ICE-ERO": [object.union(notify, {"counterpart": {"agency": "ICE-ERO"}}), false],
	"never forwarded to ICE-HSI": [object.union(notify, {"counterpart": {"agency": "CITY_DEPARTMENT", "forwards_to": ["ICE-HSI"]}}), false],
	"another purpose": [object.union(notify, {"purpose": "other"}), false],
	"not a question": [object.union(notify, {"action": "share_information"}), false],
}

test_consular_notice_applies_exactly_where_it_should if {
	wrong := {name |
		some name, [input_document, expected] in applies_cases
		applied := {x | x := consular_notice.applies with input as input_document}
		applied == {true} != expected
	}
	wrong == set()
}

test_consular_notice_metadata_names_what_it_lifts if {
	consular_notice.meta.custom.id == "EXC-CONSULAR-NOTICE"
	consular_notice.meta.custom.lifts == ["BTA-INQ-01"]
}
