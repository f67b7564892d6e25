# Code generated from policies/trustpolicy/schema/input/data.json by
# trustpolicy.authoring._conforms (make conforms); DO NOT EDIT.
#
# conforms is a fast proof that the request matches the input schema: each field present
# is checked by the one function body of its name (an unknown field matches none). Where
# it cannot prove the request valid it is undefined and json.match_schema decides and names
# every problem (input.rego), so it never changes an answer: what it accepts, the schema
# accepts (tests/test_conforms.py).
package trustpolicy.engine.input

conforms if {
	is_object(input)
	_ = input.action
	_ = input.actor
	every key1, value2 in input {
		_conforms(key1, value2)
	}
}

_conforms("action", value) if {
	value in {"inquire_status", "detain", "arrest", "transfer_custody", "share_information", "commit_resources", "perform_immigration_function", "join_operation", "receive_detainer"}
}

_conforms("actor", value) if {
	is_object(value)
	_ = value.agency
	_ = value.role
	every key3, value4 in value {
		_conforms_actor(key3, value4)
	}
}

_conforms("subject", value) if {
	is_object(value)
	every key5, value6 in value {
		_conforms_subject(key5, value6)
	}
}

_conforms("counterpart", value) if {
	is_object(value)
	_ = value.agency
	every key10, value11 in value {
		_conforms_counterpart(key10, value11)
	}
}

_conforms("authority", value) if {
	is_array(value)
	count(value) <= 16
	every item13 in value {
		is_object(item13)
		_ = item13.type
		every key14, value15 in item13 {
			_conforms_authority_item(key14, value15)
		}
	}
}

_conforms("purpose", value) if {
	value in {"civil_immigration_enforcement", "criminal_investigation", "visa_certification", "criminal_history_check", "public_safety", "statistics", "benefit_eligibility", "consular_notification", "other"}
}

_conforms("criminal_case", value) if {
	is_object(value)
	_ = value.id
	every key16, value17 in value {
		_conforms_criminal_case(key16, value17)
	}
}

_conforms("information", value) if {
	is_array(value)
	count(value) <= 32
	every item18 in value {
		item18 in {"name", "date_of_birth", "home_address", "work_address", "phone", "physical_description", "photo", "incident_report", "release_date", "custody_status", "immigration_status", "citizenship", "criminal_history", "aggregate_statistics"}
	}
}

_conforms("operation", value) if {
	is_object(value)
	_ = value.primary_purpose
	every key19, value20 in value {
		_conforms_operation(key19, value20)
	}
}

_conforms("occurred_at", value) if {
	is_string(value)
	count(value) <= 64
	time.parse_rfc3339_ns(value)
}

_conforms("detainer", value) if {
	is_object(value)
	every key21, value22 in value {
		_conforms_detainer(key21, value22)
	}
}

_conforms_actor("agency", value) if {
	regex.match(`^[^\x{0000}-\x{001f}\x{007f}-\x{009f}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{feff}]{1,128}$`, value)
}

_conforms_actor("role", value) if {
	value in {"police_officer", "city_employee"}
}

_conforms_actor("district", value) if {
	regex.match(`^[^\x{0000}-\x{001f}\x{007f}-\x{009f}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{feff}]{1,32}$`, value)
}

_conforms_subject("role", value) if {
	value in {"suspect", "arrestee", "victim", "witness", "caller", "worker", "other"}
}

_conforms_subject("in_custody", value) if {
	is_boolean(value)
}

_conforms_subject("eligible_for_release", value) if {
	is_boolean(value)
}

_conforms_subject("charges", value) if {
	is_array(value)
	count(value) <= 64
	every item7 in value {
		is_object(item7)
		_ = item7.severity
		every key8, value9 in item7 {
			_conforms_subject_charges_item(key8, value9)
		}
	}
}

_conforms_subject_charges_item("severity", value) if {
	value in {"infraction", "misdemeanor", "felony", "serious_violent_felony"}
}

_conforms_counterpart("agency", value) if {
	value in {"ICE-ERO", "ICE-HSI", "CBP", "USCIS", "FBI", "DEA", "ATF", "USMS", "STATE_POLICE", "CITY_DEPARTMENT", "COURT", "OTHER"}
}

_conforms_counterpart("forwards_to", value) if {
	is_array(value)
	count(value) <= 16
	every item12 in value {
		item12 in {"ICE-ERO", "ICE-HSI", "CBP", "USCIS", "FBI", "DEA", "ATF", "USMS", "STATE_POLICE", "CITY_DEPARTMENT", "COURT", "OTHER"}
	}
}

_conforms_authority_item("type", value) if {
	value in {"civil_detainer", "ice_administrative_warrant", "removal_order", "judicial_criminal_warrant", "judicial_order", "state_criminal_warrant", "criminal_probable_cause"}
}

_conforms_authority_item("issued_by", value) if {
	value in {"federal_judge", "state_judge", "magistrate", "immigration_judge", "ice_officer"}
}

_conforms_criminal_case("id", value) if {
	regex.match(`^[^\x{0000}-\x{001f}\x{007f}-\x{009f}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{feff}]{1,128}$`, value)
}

_conforms_criminal_case("statute", value) if {
	regex.match(`^[^\x{0000}-\x{001f}\x{007f}-\x{009f}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{feff}]{1,128}$`, value)
}

_conforms_criminal_case("category", value) if {
	value in {"human_trafficking", "narcotics", "weapons", "cybercrime", "financial", "document_fraud", "gang", "child_exploitation", "illegal_reentry", "other"}
}

_conforms_operation("primary_purpose", value) if {
	value in {"immigration_enforcement", "criminal_enforcement", "public_safety"}
}

_conforms_operation("partner", value) if {
	value in {"ICE-ERO", "ICE-HSI", "CBP", "USCIS", "FBI", "DEA", "ATF", "USMS", "STATE_POLICE", "CITY_DEPARTMENT", "COURT", "OTHER"}
}

_conforms_detainer("form", value) if {
	value in {"I-247A", "I-247D", "I-247N", "I-203", "other"}
}

_conforms_detainer("basis", value) if {
	is_array(value)
	count(value) <= 8
	every item23 in value {
		item23 in {"final_order_of_removal", "removal_proceedings_pending", "biometric_records_match", "statements_or_evidence"}
	}
}

_conforms_detainer("received_via", value) if {
	value in {"fax", "email", "electronic", "in_person", "other"}
}

_conforms_detainer("received_at", value) if {
	is_string(value)
	count(value) <= 64
	time.parse_rfc3339_ns(value)
}

_conforms_detainer("reference", value) if {
	regex.match(`^[^\x{0000}-\x{001f}\x{007f}-\x{009f}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{feff}]{1,64}$`, value)
}
