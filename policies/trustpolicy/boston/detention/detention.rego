# METADATA
# title: No detention on a civil detainer or administrative warrant after release
# description: >-
#   No one eligible for release (charges dropped or dismissed, acquitted, sentence served,
#   bond posted or released on recognizance, diverted, or otherwise releasable) may be kept
#   in custody on a civil immigration detainer request, an ICE administrative warrant or
#   an immigration judge's removal order. Only a judicial criminal warrant lifts it.
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
package trustpolicy.boston.detention

import data.trustpolicy.lib

# The prohibited act, before exceptions. Facts are read positively: a missing fact
# leaves it false and the input check reports what is missing.
default triggered := false

triggered if {
	input.action == "detain"
	input.subject.eligible_for_release == true
	_immigration_hold
}

_immigration_hold if count(lib.civil_documents) > 0

_immigration_hold if lib.immigration_bound

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
