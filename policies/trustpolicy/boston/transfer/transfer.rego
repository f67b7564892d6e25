# METADATA
# title: No transfer of a person to immigration authorities
# description: >-
#   Officers and city employees may not transfer a person to immigration authorities
#   (ICE, CBP, USCIS, or anyone who forwards to them) unless a judicial criminal warrant
#   or another order of a court in a criminal matter requires it.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act, City of Boston Code of Ordinances § 11-1.9 (2014, amended 2019)
# custom:
#   id: BTA-XFER-01
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: text
#   message: >-
#     Boston Trust Act: officers and city employees may not transfer a person to
#     immigration authorities without a judicial criminal warrant or court order.
#   versions:
#     - version: BTA-2019
package trustpolicy.boston.transfer

import data.trustpolicy.lib

# The prohibited act, before exceptions. Facts are read positively: a missing fact
# leaves it false and the input check reports what is missing.
default triggered := false

triggered if {
	input.action == "transfer_custody"
	lib.to_immigration_authority
}

# The action is named again first in each rule below, so that OPA's rule index skips them
# for every other action (it cannot see through triggered).
violations contains lib.entry(_meta, lib.guard_notes) if {
	input.action == "transfer_custody"
	triggered
	not lib.lifted_by[_meta.custom.id]
}

lifted contains [exception, _meta.custom.id] if {
	input.action == "transfer_custody"
	triggered
	some exception in lib.lifted_by[_meta.custom.id]
}

# The provision's METADATA: id, citation, confidence, message, versions.
_meta := rego.metadata.chain()[1].annotations
