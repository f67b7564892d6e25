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
# The act spends city resources: committing them, or a status look-up by a city employee
# (police officers asking about status fall under BTA-INQ-01).
_spends if input.action == "commit_resources"

_spends if {
	input.action == "inquire_status"
	input.actor.role != "police_officer"
}

# Made for civil immigration enforcement by the facts: an immigration operation, or an
# immigration authority with no criminal case behind it. Only keeping the peace lifts it.
_civil if input.operation.primary_purpose == "immigration_enforcement"

_civil if {
	lib.to_immigration_authority
	not lib.has_criminal_case
}

default triggered := false

# For, or at the request of, ICE-ERO, CBP or USCIS: civil immigration enforcement whatever
# the label, unless a judicial criminal warrant is presented (contract rev. 2, invariant 1).
triggered if {
	_spends
	_civil
}

triggered if {
	_spends
	lib.to_civil_immigration_agency
}

# Said to be for civil immigration enforcement: the stated purpose may be the only link
# (invariant 6); like the link to ICE-ERO, CBP or USCIS, a judicial criminal warrant lifts it,
# so neither the purpose nor adding such a recipient ever turns a deny into an allow.
triggered if {
	_spends
	input.purpose == "civil_immigration_enforcement"
}

# A judicial criminal warrant lifts the link to ICE-ERO, CBP or USCIS and a stated purpose,
# never an immigration operation or an immigration authority with no criminal case.
_may_lift("EXC-PUBLIC-SAFETY")

_may_lift("EXC-JUDICIAL-WARRANT") if not _civil

_lifters contains exception if {
	triggered
	some exception in lib.lifted_by[_meta.custom.id]
	_may_lift(exception)
}

violations contains lib.entry(_meta, lib.guard_notes) if {
	triggered
	count(_lifters) == 0
}

lifted contains [exception, _meta.custom.id] if some exception in _lifters

# The provision's METADATA: id, citation, confidence, message, versions.
_meta := rego.metadata.chain()[1].annotations
