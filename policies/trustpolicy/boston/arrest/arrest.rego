# METADATA
# title: No arrest, stop or extended detention on a civil immigration warrant
# description: >-
#   No arrest, stop or extended detention based on a civil immigration warrant, including
#   an NCIC immigration-violator hit, an ICE administrative warrant or a removal order. A
#   `detain` of a person who is not in custody is a stop or an extended detention. An
#   independent criminal basis (a state criminal warrant, or probable cause in a documented
#   case) is a different arrest; a judicial criminal warrant lifts the prohibition.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act, City of Boston Code of Ordinances § 11-1.9 (2014, amended 2019)
# custom:
#   id: BTA-ARR-01
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: reported
#   message: >-
#     Boston Trust Act: no arrest, stop or extended detention may be based on a civil
#     immigration warrant or an immigration hit.
#   versions:
#     - version: BTA-2019
package trustpolicy.boston.arrest

import data.trustpolicy.lib

# The prohibited act, before exceptions. Facts are read positively: a missing fact
# leaves it false and the input check reports what is missing.
default triggered := false

triggered if {
	_arrest_or_stop
	_civil_basis
	not lib.independent_criminal_basis
}

_arrest_or_stop if input.action == "arrest"

# Clarification (contract rev. 2, "Stops"): detaining a person who is not in custody.
_arrest_or_stop if {
	input.action == "detain"
	input.subject.in_custody == false
}

_civil_basis if count(lib.civil_documents) > 0

_civil_basis if lib.immigration_bound

# The action is named again first in each rule below, so that OPA's rule index skips them
# for every other action (it cannot see through triggered).
violations contains lib.entry(_meta, lib.guard_notes) if {
	input.action in {"arrest", "detain"}
	triggered
	not lib.lifted_by[_meta.custom.id]
}

lifted contains [exception, _meta.custom.id] if {
	input.action in {"arrest", "detain"}
	triggered
	some exception in lib.lifted_by[_meta.custom.id]
}

# The provision's METADATA: id, citation, confidence, message, versions.
_meta := rego.metadata.chain()[1].annotations
