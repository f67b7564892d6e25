# METADATA
# title: No arrest, stop or extended detention on a civil immigration warrant
# description: >-
#   No arrest, stop or extended detention based on a civil immigration warrant, including
#   an NCIC immigration-violator hit, an ICE administrative warrant or a removal order.
#   An independent criminal basis (probable cause in a documented case) is a different
#   arrest; a judicial criminal warrant lifts the prohibition.
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
package trustpolicy.boston.arrest

import data.trustpolicy.lib

# The prohibited act, before exceptions. Facts are read positively: a missing fact
# leaves it false and the input check reports what is missing.
default triggered := false

triggered if {
	input.action == "arrest"
	_civil_basis
	not _independent_criminal_basis
}

_civil_basis if count(lib.civil_documents) > 0

_civil_basis if lib.immigration_bound

# The officer's own probable cause of a crime is a different arrest: backed by a
# documented case, or with no immigration authority or civil purpose behind it (where one
# is, a criminal basis claimed without a case is the pretext the guard names).
_independent_criminal_basis if {
	"criminal_probable_cause" in lib.authority_types
	lib.has_criminal_case
}

_independent_criminal_basis if {
	"criminal_probable_cause" in lib.authority_types
	not lib.immigration_bound
}

violations contains lib.entry(_meta, lib.guard_notes) if {
	triggered
	not lib.lifted_by[_meta.custom.id]
}

lifted contains [exception, _meta.custom.id] if {
	triggered
	some exception in lib.lifted_by[_meta.custom.id]
}

# The provision's METADATA: id, citation, confidence, message.
_meta := rego.metadata.chain()[1].annotations
