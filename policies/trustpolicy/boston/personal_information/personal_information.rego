# METADATA
# title: No personal information to immigration authorities for civil enforcement
# description: >-
#   No giving immigration authorities personal information (name, date of birth, home or
#   work address, phone, physical description, photo, incident reports, criminal record)
#   solely for civil immigration enforcement. Without a criminal case anything given to
#   an immigration authority counts as given for civil enforcement.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act, City of Boston Code of Ordinances § 11-1.9 (2014, amended 2019)
# custom:
#   id: BTA-INFO-01
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: reported
#   personal_information:
#     - name
#     - date_of_birth
#     - home_address
#     - work_address
#     - phone
#     - physical_description
#     - photo
#     - incident_report
#     - criminal_history
#   message: >-
#     Boston Trust Act: personal information may not be given to immigration authorities
#     for civil immigration enforcement.
#   versions:
#     - version: BTA-2019
package trustpolicy.boston.personal_information

import data.trustpolicy.lib

# The prohibited act, before exceptions. Facts are read positively: a missing fact
# leaves it false and the input check reports what is missing.
default triggered := false

triggered if {
	input.action == "share_information"
	lib.to_immigration_authority
	some item in input.information
	item in _meta.custom.personal_information
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
