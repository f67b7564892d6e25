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
#   version: engine
#   max_listed: 20
#   message: >-
#     The request is malformed or lacks a fact the decision needs, so it is denied
#     (fail closed). Correct these fields and ask again:
package trustpolicy.engine.input

import data.trustpolicy.law
import data.trustpolicy.lib

# The request checked against the published JSON Schema, only when the generated fast proof
# (conforms.rego, generated from the same schema) cannot show it valid: json.match_schema
# then names every problem. A server keeps the compiled schema in its inter-query cache;
# opa bench, opa eval and embedded engines compile it on every evaluation.
# regal ignore:unresolved-reference
_match := json.match_schema(input, data.trustpolicy.schema.input)

# Problems with the shape of the request (the schema), each naming its field.
# Written positively: a request that is not there at all (no input) is not an object.
_is_object if is_object(input)

shape_problems contains "input: a JSON object with at least action and actor is required" if not _is_object

shape_problems contains _problem(error) if {
	_is_object
	not conforms
	some error in _match[1]
}

# The day of the act must be readable, past, and within the law encoded.
shape_problems contains problem if {
	_is_object
	some problem in law.problems
}

# A pattern error would echo the offending characters; say what is wrong instead.
_problem(error) := sprintf("%s: contains control or invisible formatting characters", [_field(error.field)]) if {
	error.type == "pattern"
}

_problem(error) := sprintf("%s: %s", [_field(error.field), error.desc]) if error.type != "pattern"

_field(field) := "input" if lower(field) == "(root)"

_field(field) := field if lower(field) != "(root)"

# Facts a provision needs to decide, by action.
missing_facts contains "subject.eligible_for_release: required to decide a hold in custody (BTA-DET-01, MA-LUNN-01)" if {
	input.action == "detain"
	_immigration_hold
	input.subject.in_custody == true
	not _release_eligibility_known
}

missing_facts contains "subject.in_custody: required to tell a hold in custody (BTA-DET-01) from a stop (BTA-ARR-01)" if {
	input.action == "detain"
	_immigration_hold
	not _custody_known
}

missing_facts contains "purpose: required to decide a city employee's status look-up (BTA-RES-01)" if {
	input.action == "inquire_status"
	input.actor.role != "police_officer"
	not input.purpose
}

missing_facts contains "subject.charges: required to decide a request limited to criminal history (EXC-CRIMINAL-HISTORY)" if {
	lib.limited_to_criminal_history
	lib.to_immigration_authority
	not _charges_known
}

missing_facts contains "authority or purpose: required to know the basis of an arrest (BTA-ARR-01)" if {
	input.action == "arrest"
	count(lib.authority_types) == 0
	not input.purpose
}

missing_facts contains sprintf("counterpart: required to know who receives (%s)", [rule]) if {
	rule := {"transfer_custody": "BTA-XFER-01", "share_information": "BTA-INFO-01, BTA-INFO-02"}[input.action]
	not input.counterpart.agency
}

missing_facts contains "information: required to know what would be shared (BTA-INFO-01, BTA-INFO-02)" if {
	input.action == "share_information"
	count(object.get(input, "information", [])) == 0
}

missing_facts contains "operation or counterpart: required to know whom the resources serve (BTA-RES-01)" if {
	input.action == "commit_resources"
	not input.operation.primary_purpose
	not input.counterpart.agency
}

missing_facts contains "detainer: only for receive_detainer, detain or transfer_custody" if {
	input.detainer
	not input.action in {"receive_detainer", "detain", "transfer_custody"}
}

missing_facts contains "operation.primary_purpose: required to decide joining an operation (BTA-ROLE-01)" if {
	input.action == "join_operation"
	not input.operation.primary_purpose
}

missing_facts contains sprintf(
	"authority[%d].issued_by: required for a %s: who issued it decides whether it is judicial",
	[i, doc.type],
) if {
	some i, doc in input.authority
	doc.type in lib.issuer_dependent_types
	not doc.issued_by
}

# A detention that touches immigration (a civil document, an immigration authority, a civil
# purpose) cannot be decided without knowing whether the person is eligible for release.
_immigration_hold if count(lib.civil_documents) > 0

_immigration_hold if lib.immigration_bound

_release_eligibility_known if is_boolean(input.subject.eligible_for_release)

# Written positively and negated where used: `not is_boolean(x)` is false, not true, when x
# is undefined, so a missing fact would pass silently.
_custody_known if is_boolean(input.subject.in_custody)

_charges_known if is_array(input.subject.charges)

problems := shape_problems | missing_facts

# Whether the request has the shape of the contract and the facts its action needs; the
# provisions are decided only then, so an incomplete request gets TP-INPUT-01 alone.
well_formed if {
	_is_object
	count(problems) == 0
}

violations contains object.union(lib.entry(_meta, {_listing(sorted, _meta.custom.max_listed)}), {"problems": sorted}) if {
	count(problems) > 0
	sorted := sort(problems)
}

_listing(sorted, limit) := concat("; ", sorted) if count(sorted) <= limit

_listing(sorted, limit) := sprintf("%s; and %d more", [concat("; ", array.slice(sorted, 0, limit)), count(sorted) - limit]) if {
	count(sorted) > limit
}

# The engine rule's METADATA: id, citation, confidence, message.
_meta := rego.metadata.chain()[1].annotations
