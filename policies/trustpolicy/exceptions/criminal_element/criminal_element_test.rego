package trustpolicy.exceptions.criminal_element_test

import data.trustpolicy.exceptions.criminal_element

applies_cases := {
	"illegal re-entry by category": [{"criminal_case": {"id": "1", "category": "illegal_reentry"}}, true],
	"8 U.S.C. § 1326(a)": [{"criminal_case": {"id": "1", "statute": "8 U.S.C. § 1326(a)"}}, true],
	"8 USC 1325": [{"criminal_case": {"id": "1", "statute": "8 USC 1325"}}, true],
	"18 U.S.C. 1546": [{"criminal_case": {"id": "1", "statute": "18 U.S.C. 1546"}}, true],
	"document fraud, no statute named": [{"criminal_case": {"id": "1", "category": "document_fraud"}}, true],
	"document fraud under a state statute": [{"criminal_case": {"id": "1", "category": "document_fraud", "statute": "M.G.L. c. 266 § 37"}}, false],
	"8 USC 13260 is not 1326": [{"criminal_case": {"id": "1", "statute": "8 USC 13260"}}, false],
	"an unrelated federal statute": [{"criminal_case": {"id": "1", "statute": "21 USC 841", "category": "narcotics"}}, false],
	"for civil enforcement": [{"purpose": "civil_immigration_enforcement", "criminal_case": {"id": "1", "category": "illegal_reentry"}}, false],
	"no case": [{"purpose": "criminal_investigation"}, false],
}

test_criminal_element_applies_exactly_where_it_should if {
	wrong := {name |
		some name, [input_document, expected] in applies_cases
		applied := {x | x := criminal_element.applies with input as input_document}
		applied == {true} != expected
	}
	wrong == set()
}

test_criminal_element_metadata_names_what_it_lifts if {
	criminal_element.meta.custom.id != ""
	count(criminal_element.meta.custom.lifts) > 0
}
