# METADATA
# title: Decision-log mask
# description: |
#   OPA applies this mask to every decision-log event before it leaves the agent. The
#   logged input keeps only the facts the Section 3 annual report needs (action, actor
#   agency, role and district, subject role and custody facts, counterpart agencies,
#   authority types, purpose, information kinds, operation and criminal-case category).
#   Everything else is replaced: criminal case numbers and statutes, charges, times, any
#   field the input contract does not define, and any value outside its enumeration.
#   Immigration or citizenship status values therefore never reach the collector.
#   The whole input is rewritten in one upsert, so the result never depends on how OPA
#   escapes unusual key names or re-indexes arrays after a removal.
# related_resources:
#   - ref: https://www.openpolicyagent.org/docs/management-decision-logs#masking-sensitive-data
#     description: OPA decision-log masking
#   - ref: https://library.municode.com/ma/boston/codes/code_of_ordinances
#     description: Boston Code § 11-1.9 (Trust Act), Section 3 reporting
# schemas:
#   - input: {"type": "object"}
package system.log

_actions := {
	"inquire_status", "detain", "arrest", "transfer_custody", "share_information",
	"commit_resources", "perform_immigration_function", "join_operation", "receive_detainer",
}

_agencies := {
	"ICE-ERO", "ICE-HSI", "CBP", "USCIS", "FBI", "DEA", "ATF", "USMS",
	"STATE_POLICE", "CITY_DEPARTMENT", "COURT", "OTHER",
}

_information := {
	"name", "date_of_birth", "home_address", "work_address", "phone",
	"physical_description", "photo", "incident_report", "release_date", "custody_status",
	"immigration_status", "citizenship", "criminal_history", "aggregate_statistics",
}

# The fields kept, by contract field: a set is an enumeration, "string" and "boolean" a
# type, an object a nested object and a one-element array a list of that element.
# subject.charges, criminal_case.id, criminal_case.statute and occurred_at are left out
# on purpose: the report does not need them and they could identify a person.
_kept_fields := {
	"action": _actions,
	"actor": {
		"agency": "string",
		"role": {"police_officer", "city_employee"},
		"district": "string",
	},
	"subject": {
		"role": {"suspect", "arrestee", "victim", "witness", "caller", "worker", "other"},
		"in_custody": "boolean",
		"eligible_for_release": "boolean",
	},
	"counterpart": {"agency": _agencies, "forwards_to": [_agencies]},
	"authority": [{
		"type": {
			"civil_detainer", "ice_administrative_warrant", "removal_order",
			"judicial_criminal_warrant", "judicial_order", "state_criminal_warrant",
			"criminal_probable_cause",
		},
		"issued_by": {"federal_judge", "state_judge", "magistrate", "immigration_judge", "ice_officer"},
	}],
	"purpose": {
		"civil_immigration_enforcement", "criminal_investigation", "visa_certification",
		"criminal_history_check", "public_safety", "statistics", "benefit_eligibility", "other",
	},
	"criminal_case": {"category": {
		"human_trafficking", "narcotics", "weapons", "cybercrime", "financial",
		"document_fraud", "gang", "child_exploitation", "illegal_reentry", "other",
	}},
	"information": [_information],
	"operation": {
		"primary_purpose": {"immigration_enforcement", "criminal_enforcement", "public_safety"},
		"partner": _agencies,
	},
}

# METADATA
# description: |
#   The mask rules OPA applies to the event: one upsert of the whole logged input with its
#   reportable projection, whenever the input holds anything beyond that projection.
# entrypoint: true
mask contains {"op": "upsert", "path": "/input", "value": _kept} if input.input != _kept

_kept[key] := kept if {
	some key, value in input.input
	kept := _value(_kept_fields[key], value)
}

_value(spec, value) := _field(spec, value)

_value(spec, value) := _entry(spec, value) if {
	is_object(spec)
	is_object(value)
}

_value(spec, value) := [_entry(spec[0], item) | some item in value; is_object(item)] if {
	is_array(value)
	is_object(spec[0])
}

_entry(spec, value) := {key: kept |
	some key, item in value
	kept := _field(spec[key], item)
}

_field(spec, value) := value if _leaf(spec, value)

_field(spec, value) := [item | some item in value; _leaf(spec[0], item)] if {
	is_array(spec)
	is_array(value)
	not is_object(spec[0])
}

_leaf(spec, value) if {
	is_set(spec)
	value in spec
}

_leaf("string", value) if is_string(value)

_leaf("boolean", value) if is_boolean(value)
