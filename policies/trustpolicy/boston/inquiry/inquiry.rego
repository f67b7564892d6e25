# METADATA
# title: No questions about immigration or citizenship status
# description: >-
#   A police officer may not ask about, or look up, a person's immigration or citizenship
#   status. Lifted for T and U visa certification and for a documented criminal case in
#   which status is an element of the offence.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act, City of Boston Code of Ordinances § 11-1.9 (2014, amended 2019)
# custom:
#   id: BTA-INQ-01
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: reported
#   message: >-
#     Boston Trust Act: police officers may not ask about or look up a person's
#     immigration or citizenship status.
#   versions:
#     - version: BTA-2019
package trustpolicy.boston.inquiry

import data.trustpolicy.lib

# The prohibited act, before exceptions. Facts are read positively: a missing fact
# leaves it false and the input check reports what is missing.
default triggered := false

triggered if {
	input.action == "inquire_status"
	input.actor.role == "police_officer"
}

# The action is named again first in each rule below, so that OPA's rule index skips them
# for every other action (it cannot see through triggered).
violations contains lib.entry(_meta, set()) if {
	input.action == "inquire_status"
	triggered
	not lib.lifted_by[_meta.custom.id]
}

lifted contains [exception, _meta.custom.id] if {
	input.action == "inquire_status"
	triggered
	some exception in lib.lifted_by[_meta.custom.id]
}

# The provision's METADATA: id, citation, confidence, message, versions.
_meta := rego.metadata.chain()[1].annotations
