# METADATA
# title: No release dates or custody status to immigration authorities
# description: >-
#   No giving immigration authorities a person's release date or time or custody status
#   solely for civil immigration enforcement (notice of release is what a detainer asks
#   for). Lifted only by a judicial criminal warrant, an order of a court in a criminal
#   matter, or an ICE-HSI criminal investigation in its remit.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act, City of Boston Code of Ordinances § 11-1.9 (2014, amended 2019)
# custom:
#   id: BTA-INFO-02
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: reported
#   release_information: [release_date, custody_status]
#   message: >-
#     Boston Trust Act: release dates, release times and custody status may not be given
#     to immigration authorities for civil immigration enforcement.
#   versions:
#     - version: BTA-2019
package trustpolicy.boston.release_information

import data.trustpolicy.lib

# The prohibited act, before exceptions. Facts are read positively: a missing fact
# leaves it false and the input check reports what is missing.
default triggered := false

triggered if {
	input.action == "share_information"
	lib.to_immigration_authority
	some item in input.information
	item in _meta.custom.release_information
}

# The action is named again first in each rule below, so that OPA's rule index skips them
# for every other action (it cannot see through triggered).
violations contains lib.entry(_meta, lib.guard_notes) if {
	input.action == "share_information"
	triggered
	not lib.lifted_by[_meta.custom.id]
}

lifted contains [exception, _meta.custom.id] if {
	input.action == "share_information"
	triggered
	some exception in lib.lifted_by[_meta.custom.id]
}

# The provision's METADATA: id, citation, confidence, message, versions.
_meta := rego.metadata.chain()[1].annotations
