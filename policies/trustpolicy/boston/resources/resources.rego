# METADATA
# title: No city resources for civil immigration enforcement
# description: >-
#   No city funds, personnel, equipment or facilities may be used to investigate,
#   interrogate, detain or arrest solely for civil immigration enforcement: no perimeters,
#   backup or station interviews for a civil operation, and no city employee looking up
#   status for, or at the request of, an immigration authority without a criminal case
#   (for ICE-ERO, CBP and USCIS, without a judicial criminal warrant). Keeping the peace at
#   a scene is allowed, never for ICE-ERO, CBP or USCIS or an immigration operation.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act, City of Boston Code of Ordinances § 11-1.9 (2014, amended 2019)
# custom:
#   id: BTA-RES-01
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: reported
#   message: >-
#     Boston Trust Act: city funds, personnel, equipment and facilities may not be used for
#     civil immigration enforcement.
#   versions:
#     - version: BTA-2019
package trustpolicy.boston.resources

import data.trustpolicy.lib

# The prohibited act, before exceptions. Facts are read positively: a missing fact
# leaves it false and the input check reports what is missing.
default triggered := false

triggered if {
	input.action == "commit_resources"
	lib.civil_enforcement
}

# Police officers asking about status fall under BTA-INQ-01. Any other city employee who
# looks up status for, or at the request of, an immigration authority spends city personnel
# on immigration enforcement unless a criminal case backs it; for ICE-ERO, CBP and USCIS
# only a judicial criminal warrant does (contract rev. 2, "City employees").
triggered if {
	input.action == "inquire_status"
	input.actor.role != "police_officer"
	lib.civil_enforcement
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
