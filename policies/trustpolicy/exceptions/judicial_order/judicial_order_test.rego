package trustpolicy.exceptions.judicial_order_test

import data.trustpolicy.exceptions.judicial_order

criminal := {"criminal_case": {"id": "1:26-cr-7"}}

applies_cases := {
	"a writ from a federal judge in a criminal matter": [object.union(criminal, {"authority": [{"type": "judicial_order", "issued_by": "federal_judge"}]}), true],
	"an order from a state judge in a criminal matter": [object.union(criminal, {"authority": [{"type": "judicial_order", "issued_by": "state_judge"}]}), true],
	"an order from a civil case lifts nothing": [{"authority": [{"type": "judicial_order", "issued_by": "federal_judge"}]}, false],
	"an immigration judge's order is civil": [object.union(criminal, {"authority": [{"type": "judicial_order", "issued_by": "immigration_judge"}]}), false],
	"a removal order": [object.union(criminal, {"authority": [{"type": "removal_order", "issued_by": "immigration_judge"}]}), false],
}

test_judicial_order_applies_exactly_where_it_should if {
	wrong := {name |
		some name, [input_document, expected] in applies_cases
		applied := {x | x := judicial_order.applies with input as input_document}
		applied == {true} != expected
	}
	wrong == set()
}

test_judicial_order_metadata_names_what_it_lifts if {
	judicial_order.meta.custom.id != ""
	count(judicial_order.meta.custom.lifts) > 0
}
