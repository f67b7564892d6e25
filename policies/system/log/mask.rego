# METADATA
# title: Decision-log mask
# description: |
#   OPA applies this mask to every decision-log event before it leaves the agent. The
#   logged input keeps exactly what the published input schema (the bundle's
#   data.trustpolicy.schema.input, the one source of the contract's fields) allows, value by
#   value: a field the schema does not define, a value outside its enumeration, type, length
#   or pattern, or a time that is not RFC 3339 is dropped. So every fact a decision depends
#   on is kept and the decision can be replayed exactly (impact analysis), while nothing
#   outside the contract reaches the collector. Immigration or citizenship status values
#   never do: information is a list of kinds. The criminal case number is replaced by a
#   marker (its presence is the fact a decision reads); the detainer's reference travels to
#   the collector, which stores only its keyed hash.
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

# regal ignore:unresolved-reference
_schema := data.trustpolicy.schema.input

# What stands in for a criminal case number in the log: the case exists, its number is
# not kept.
case_marker := "on-file"

# METADATA
# description: |
#   The mask rules OPA applies to the event: one upsert of the whole logged input with its
#   projection onto the schema, whenever the input holds anything beyond that projection.
# entrypoint: true
mask contains {"op": "upsert", "path": "/input", "value": _kept} if input.input != _kept

_kept := _projected if {
	is_object(input.input)
	not _batch
}

# A batch (data.trustpolicy.batch) logs {"requests": [...]}: each request is projected like
# a single input, so every decision of the batch can be stored and replayed on its own.
_kept := {"requests": [_request(r) | some r in input.input.requests]} if _batch

_kept := {} if {
	"input" in object.keys(input)
	not is_object(input.input)
}

_batch if is_array(input.input.requests)

_projected := _request(input.input)

# One request as logged: its projection onto the schema, the case number a marker.
_request(request) := object.union(projected, _markers(projected)) if {
	is_object(request)
	projected := {key: kept |
		some key, value in request
		kept := _value(_schema.properties[key], value)
	}
}

_request(request) := {} if not is_object(request)

_markers(projected) := {"criminal_case": {"id": case_marker}} if projected.criminal_case.id

_markers(projected) := {} if not projected.criminal_case.id

# The schema nests at most four levels deep (subject.charges[].severity): one function a
# level, since Rego functions do not recurse.
_value(spec, value) := _leaf_value(spec, value)

_value(spec, value) := {key: kept |
	some key, item in value
	kept := _value2(spec.properties[key], item)
} if {
	spec.type == "object"
	is_object(value)
}

_value(spec, value) := [kept | some item in value; kept := _value2(spec.items, item)] if {
	spec.type == "array"
	is_array(value)
}

_value2(spec, value) := _leaf_value(spec, value)

_value2(spec, value) := {key: item |
	some key, item in value
	_leaf(spec.properties[key], item)
} if {
	spec.type == "object"
	is_object(value)
}

_value2(spec, value) := [kept | some item in value; kept := _value3(spec.items, item)] if {
	spec.type == "array"
	is_array(value)
}

_value3(spec, value) := _leaf_value(spec, value)

_value3(spec, value) := {key: item |
	some key, item in value
	_leaf(spec.properties[key], item)
} if {
	spec.type == "object"
	is_object(value)
}

_leaf_value(spec, value) := value if _leaf(spec, value)

_leaf(spec, value) if value in spec.enum

_leaf(spec, value) if {
	not spec.enum
	spec.type == "boolean"
	is_boolean(value)
}

_leaf(spec, value) if {
	not spec.enum
	spec.type == "string"
	is_string(value)
	count(value) >= object.get(spec, "minLength", 0)
	count(value) <= object.get(spec, "maxLength", 0)
	_pattern_ok(spec, value)
	_format_ok(spec, value)
}

_pattern_ok(spec, _) if not spec.pattern

_pattern_ok(spec, value) if regex.match(spec.pattern, value)

_format_ok(spec, _) if not spec.format

_format_ok(spec, value) if {
	spec.format == "date-time"
	time.parse_rfc3339_ns(value)
}
