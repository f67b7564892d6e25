# METADATA
# title: No detention on a civil detainer or administrative warrant after release
# description: >-
#   No one in custody who is eligible for release (charges dropped or dismissed, acquitted,
#   sentence served, bond posted or released on recognizance, diverted, or otherwise
#   releasable) may be kept in custody solely on a civil immigration detainer request, an ICE
#   administrative warrant or an immigration judge's removal order. The 2014 Act covered
#   detainer requests only; the 2019 amendment added administrative warrants. A state
#   criminal warrant is the city's own basis (the hold is not "solely" civil); only a
#   judicial criminal warrant lifts the prohibition.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act, City of Boston Code of Ordinances § 11-1.9 (2014, amended 2019)
# custom:
#   id: BTA-DET-01
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) §§ 1-2
#   confidence: text
#   message: >-
#     Boston Trust Act: a person eligible for release may not be held on a civil
#     immigration detainer or an ICE administrative warrant; release them.
#   versions:
#     - version: BTA-2014
#       citation: Boston Code § 11-1.9; Boston Trust Act (2014) § 2
#       message: >-
#         Boston Trust Act (2014): a person eligible for release may not be held on a civil
#         immigration detainer request; release them.
#       holds_on: [civil_detainer]
#     - version: BTA-2019
#       holds_on:
#         - civil_detainer
#         - ice_administrative_warrant
#         - removal_order
#         - judicial_criminal_warrant
#         - judicial_order
#         - state_criminal_warrant
package trustpolicy.boston.detention

import data.trustpolicy.lib

# The prohibited act, before exceptions: holding a person in custody who is eligible for
# release on civil documents alone (a detain of a person not in custody is a stop: BTA-ARR-01).
default triggered := false

triggered if {
	input.action == "detain"
	input.subject.in_custody == true
	input.subject.eligible_for_release == true
	_civil_hold
	not lib.state_warrant
}

# The civil documents the version in force covers (the 2019 text: any civil document, or a
# hold made for immigration enforcement with no document at all).
_civil_hold if {
	some document in lib.civil_documents
	document in lib.text(_meta).holds_on
}

_civil_hold if {
	lib.text(_meta).version == "BTA-2019"
	lib.immigration_bound
}

violations contains lib.entry(_meta, lib.guard_notes) if {
	triggered
	not lib.lifted_by[_meta.custom.id]
}

lifted contains [exception, _meta.custom.id] if {
	triggered
	some exception in lib.lifted_by[_meta.custom.id]
}

# The provision's METADATA: id, citation, confidence, message, versions.
_meta := rego.metadata.chain()[1].annotations
