package trustpolicy.exceptions.criminal_element_test

import data.trustpolicy.exceptions.criminal_element

ask(case) := {"action": "inquire_status", "criminal_case": case}

applies_cases := {
	"illegal re-entry by category": [ask({"id": "1", "category": "illegal_reentry"}), true],
	"8 U.S.C. § 1326(a)": [ask({"id": "1", "statute": "8 U.S.C. § 1326(a)"}), true],
	"18 U.S.C. 1546": [ask({"id": "1", "statute": "18 U.S.C. 1546"}), true],
	"8 USC 1324 (interpretation)": [ask({"id": "1", "statute": "8 USC 1324", "category": "human_trafficking"}), true],
	"8 USC 1325 is not in the contract's list": [ask({"id": "1", "statute": "8 USC 1325"}), false],
	"document fraud, no statute named, is not enough": [ask({"id": "1", "category": "document_fraud"}), false],
	"document fraud under a state statute": [ask({"id": "1", "category": "document_fraud", "statute": "M.G.L. c. 266 § 37"}), false],
	"a statute named decides over the category": [ask({"id": "1", "category": "illegal_reentry", "statute": "21 USC 841"}), false],
	"8 USC 13260 is not 1326": [ask({"id": "1", "statute": "8 USC 13260"}), false],
	"an unrelated federal statute": [ask({"id": "1", "statute": "21 USC 841", "category": "narcotics"}), false],
	"for civil enforcement": [object.union(ask({"id": "1", "category": "illegal_reentry"}), {"purpose": "civil_immigration_enforcement"}), false],
	"never when ICE-ERO asks": [object.union(ask({"id": "1", "category": "illegal_reentry"}), {"counterpart": {"agency": "ICE-ERO"}}), false],
	"never with CBP as a partner": [object.union(ask({"id": "1", "statute": "8 USC 1326"}), {"operation": {"primary_purpose": "criminal_enforcement", "partner": "CBP"}}), false],
	"ICE-HSI may ask in a re-entry case": [object.union(ask({"id": "1", "statute": "8 USC 1326"}), {"counterpart": {"agency": "ICE-HSI"}}), true],
	"no case": [{"action": "inquire_status", "purpose": "criminal_investigation"}, false],
	"not a question": [object.union(ask({"id": "1", "category": "illegal_reentry"}), {"action": "share_information"}), false],
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
