# METADATA
# title: Malformed or incomplete requests are denied
# description: >-
#   Input that does not match the published input schema (unknown field, wrong type,
#   unknown enum value), or that lacks a fact the applicable provision needs, is denied
#   with every problem listed by field path. The engine fails closed: never an allow.
# related_resources:
#   - ref: https://json-schema.org/draft-07/json-schema-validation
#     description: JSON Schema draft-07 validation, the subset the input schema uses
# custom:
#   id: TP-INPUT-01
#   citation: trustpolicy decision contract § 3 (input document)
#   confidence: engine
#   max_listed: 20
#   message: >-
#     The request is malformed or lacks a fact the decision needs, so it is denied
#     (fail closed). Correct these fields and ask again:
package trustpolicy.engine.input

import data.trustpolicy.lib

_schema := data.trustpolicy.schema.input

# The input's nodes paired with the schema node that describes them, as
# [path, value, schema]: the root and four levels below it (the schema's depth).
_root contains [[], input, _schema] if is_object(input)

_level1 contains node if some node in _children(_root)

_level2 contains node if some node in _children(_level1)

_level3 contains node if some node in _children(_level2)

_level4 contains node if some node in _children(_level3)

_nodes := (((_root | _level1) | _level2) | _level3) | _level4

_children(parents) := {[array.concat(path, [key]), value, child] |
	some [path, parent, node] in parents
	some key, value in parent
	child := _child(node, key)
}

_child(node, key) := node.properties[key] if node.type == "object"

_child(node, _) := node.items if node.type == "array"

# Problems with the shape of the request (the schema).
shape_problems contains "input: a JSON object with at least action and actor is required" if {
	not is_object(input)
}

shape_problems contains sprintf("%s: must be of type %s, not %s", [_path(path), node.type, type_name(value)]) if {
	some [path, value, node] in _nodes
	not _type_ok(value, node.type)
}

shape_problems contains sprintf("%s: must be one of %s", [_path(path), concat(", ", node.enum)]) if {
	some [path, value, node] in _nodes
	node.enum
	not value in node.enum
}

shape_problems contains sprintf("%s: unknown field %q", [_path(path), key]) if {
	some [path, value, node] in _nodes
	node.additionalProperties == false
	is_object(value)
	some key, _ in value
	not node.properties[key]
}

shape_problems contains sprintf("%s: required field missing", [_path(array.concat(path, [key]))]) if {
	some [path, value, node] in _nodes
	is_object(value)
	some key in node.required
	not key in object.keys(value)
}

shape_problems contains sprintf("%s: must not be empty", [_path(path)]) if {
	some [path, value, node] in _nodes
	is_string(value)
	count(value) < node.minLength
}

shape_problems contains sprintf("%s: longer than %d characters", [_path(path), node.maxLength]) if {
	some [path, value, node] in _nodes
	is_string(value)
	count(value) > node.maxLength
}

shape_problems contains sprintf("%s: contains control or invisible formatting characters", [_path(path)]) if {
	some [path, value, node] in _nodes
	is_string(value)
	not regex.match(node.pattern, value)
}

shape_problems contains sprintf("%s: more than %d items", [_path(path), node.maxItems]) if {
	some [path, value, node] in _nodes
	is_array(value)
	count(value) > node.maxItems
}

shape_problems contains sprintf("%s: must be an RFC 3339 date-time", [_path(path)]) if {
	some [path, value, node] in _nodes
	node.format == "date-time"
	is_string(value)
	not time.parse_rfc3339_ns(value)
}

_type_ok(value, "object") if is_object(value)

_type_ok(value, "array") if is_array(value)

_type_ok(value, "string") if is_string(value)

_type_ok(value, "boolean") if is_boolean(value)

_path([]) := "input"

_path(path) := trim_prefix(concat("", [_segment(key) | some key in path]), ".") if count(path) > 0

_segment(key) := sprintf("[%d]", [key]) if is_number(key)

_segment(key) := sprintf(".%s", [key]) if is_string(key)

# Facts a provision needs to decide, by action.
missing_facts contains "subject.eligible_for_release: required to decide a detention (BTA-DET-01, MA-LUNN-01)" if {
	input.action == "detain"
	not is_boolean(input.subject.eligible_for_release)
}

missing_facts contains "authority or purpose: required to know the basis of an arrest (BTA-ARR-01)" if {
	input.action == "arrest"
	count(lib.authority_types) == 0
	not input.purpose
}

missing_facts contains sprintf("counterpart: required to know who receives (%s)", [rule]) if {
	some action, rule in {"transfer_custody": "BTA-XFER-01", "share_information": "BTA-INFO-01, BTA-INFO-02"}
	input.action == action
	not input.counterpart.agency
}

missing_facts contains "information: required to know what would be shared (BTA-INFO-01, BTA-INFO-02)" if {
	input.action == "share_information"
	count(object.get(input, "information", [])) == 0
}

missing_facts contains "purpose or operation: required to know what the resources are for (BTA-RES-01)" if {
	input.action == "commit_resources"
	not input.purpose
	not input.operation.primary_purpose
}

missing_facts contains "operation.primary_purpose: required to decide joining an operation (BTA-ROLE-01)" if {
	input.action == "join_operation"
	not input.operation.primary_purpose
}

missing_facts contains sprintf("authority[%d].issued_by: required for a %s: who issued it decides whether it is judicial", [i, doc.type]) if {
	some i, doc in input.authority
	doc.type in lib.issuer_dependent_types
	not doc.issued_by
}

problems := shape_problems | missing_facts

# Whether the request has the shape of the contract (provisions are decided only then).
well_formed if count(shape_problems) == 0

violations contains object.union(lib.entry(rego.metadata.chain(), {_listed}), {"problems": sorted}) if {
	count(problems) > 0
	sorted := sort(problems)
	_listed := _listing(sorted, lib.annotation(rego.metadata.chain()).custom.max_listed)
}

_listing(sorted, limit) := concat("; ", sorted) if count(sorted) <= limit

_listing(sorted, limit) := sprintf("%s; and %d more", [concat("; ", array.slice(sorted, 0, limit)), count(sorted) - limit]) if {
	count(sorted) > limit
}
