package trustpolicy.exceptions.criminal_history_test

import data.trustpolicy.exceptions.criminal_history

violent := {"charges": [{"severity": "misdemeanor"}, {"severity": "serious_violent_felony"}]}

share(information) := {"action": "share_information", "information": information, "subject": violent}

applies_cases := {
	"criminal history alone": [share(["criminal_history"]), true],
	"with the name and date of birth": [share(["criminal_history", "name", "date_of_birth"]), true],
	"a person with no serious violent charge": [object.union(share(["criminal_history"]), {"subject": {"charges": [{"severity": "felony"}]}}), false],
	"no charges known": [{"action": "share_information", "information": ["criminal_history"]}, false],
	"with an address": [share(["criminal_history", "home_address"]), false],
	"a name without criminal history": [share(["name"]), false],
	"not a sharing request": [{"action": "inquire_status", "information": ["criminal_history"]}, false],
}

test_criminal_history_applies_exactly_where_it_should if {
	wrong := {name |
		some name, [input_document, expected] in applies_cases
		applied := {x | x := criminal_history.applies with input as input_document}
		applied == {true} != expected
	}
	wrong == set()
}

test_criminal_history_metadata_names_what_it_lifts if {
	criminal_history.meta.custom.id != ""
	count(criminal_history.meta.custom.lifts) > 0
}
