package trustpolicy.exceptions.judicial_warrant_test

import data.trustpolicy.exceptions.judicial_warrant

applies_cases := {
	"a federal judge's criminal warrant": [{"authority": [{"type": "judicial_criminal_warrant", "issued_by": "federal_judge"}]}, true],
	"a magistrate's warrant (a clerk-magistrate is a magistrate)": [{"authority": [{"type": "judicial_criminal_warrant", "issued_by": "magistrate"}]}, true],
	"a state judge's judicial criminal warrant": [{"authority": [{"type": "judicial_criminal_warrant", "issued_by": "state_judge"}]}, true],
	"a state criminal warrant is never EXC-JUDICIAL-WARRANT": [{"authority": [{"type": "state_criminal_warrant", "issued_by": "state_judge"}]}, false],
	"an immigration judge is not a judicial officer": [{"authority": [{"type": "judicial_criminal_warrant", "issued_by": "immigration_judge"}]}, false],
	"an ICE officer's 'warrant'": [{"authority": [{"type": "judicial_criminal_warrant", "issued_by": "ice_officer"}]}, false],
	"a court order is not a warrant": [{"authority": [{"type": "judicial_order", "issued_by": "federal_judge"}]}, false],
	"no documents": [{}, false],
}

test_judicial_warrant_applies_exactly_where_it_should if {
	wrong := {name |
		some name, [input_document, expected] in applies_cases
		applied := {x | x := judicial_warrant.applies with input as input_document}
		applied == {true} != expected
	}
	wrong == set()
}

test_judicial_warrant_metadata_names_what_it_lifts if {
	judicial_warrant.meta.custom.id != ""
	count(judicial_warrant.meta.custom.lifts) > 0
}
