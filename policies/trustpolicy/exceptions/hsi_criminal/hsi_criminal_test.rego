package trustpolicy.exceptions.hsi_criminal_test

import data.trustpolicy.exceptions.hsi_criminal

trafficking := {"action": "share_information", "purpose": "criminal_investigation", "criminal_case": {"id": "H", "category": "human_trafficking"}}

applies_cases := {
	"ICE-HSI in a trafficking case": [object.union(trafficking, {"counterpart": {"agency": "ICE-HSI"}}), true],
	"through a department that forwards to ICE-HSI": [object.union(trafficking, {"counterpart": {"agency": "CITY_DEPARTMENT", "forwards_to": ["ICE-HSI"]}}), true],
	"ICE-HSI forwarding to ICE-ERO": [object.union(trafficking, {"counterpart": {"agency": "ICE-HSI", "forwards_to": ["ICE-ERO"]}}), false],
	"ICE-ERO in the same case": [object.union(trafficking, {"counterpart": {"agency": "ICE-ERO"}}), false],
	"not a sharing request": [object.union(trafficking, {"action": "transfer_custody", "counterpart": {"agency": "ICE-HSI"}}), false],
	"ICE-HSI with CBP as a partner": [object.union(trafficking, {"counterpart": {"agency": "ICE-HSI"}, "operation": {"primary_purpose": "criminal_enforcement", "partner": "CBP"}}), false],
	"outside HSI's remit": [{"action": "share_information", "counterpart": {"agency": "ICE-HSI"}, "criminal_case": {"id": "H", "category": "illegal_reentry"}}, false],
	"for removal": [{"action": "share_information", "counterpart": {"agency": "ICE-HSI"}, "purpose": "civil_immigration_enforcement", "criminal_case": {"id": "H", "category": "gang"}}, false],
	"no case": [{"action": "share_information", "counterpart": {"agency": "ICE-HSI"}, "purpose": "criminal_investigation"}, false],
}

test_hsi_criminal_applies_exactly_where_it_should if {
	wrong := {name |
		some name, [input_document, expected] in applies_cases
		applied := {x | x := hsi_criminal.applies with input as input_document}
		applied == {true} != expected
	}
	wrong == set()
}

test_hsi_criminal_metadata_names_what_it_lifts if {
	hsi_criminal.meta.custom.id != ""
	count(hsi_criminal.meta.custom.lifts) > 0
}
