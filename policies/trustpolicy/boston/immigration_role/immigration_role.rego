# METADATA
# title: No acting as an immigration officer or joining immigration operations
# description: >-
#   No acting as, or being deputized to perform the functions of, an immigration officer
#   (287(g) agreements included), and no joining an operation whose primary purpose is
#   immigration enforcement or that is run with an immigration authority, whatever its
#   label, unless it is a joint task force for criminal enforcement on criminal duties
#   (never with ICE-ERO, CBP or USCIS) or a judicial criminal warrant is presented.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act, City of Boston Code of Ordinances § 11-1.9 (2014, amended 2019)
# custom:
#   id: BTA-ROLE-01
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2; 8 U.S.C. § 1357(g)
#   confidence: reported
#   message: >-
#     Boston Trust Act: officers may not act as immigration officers (287(g) included) or
#     join an operation whose primary purpose is immigration enforcement.
#   versions:
#     - version: BTA-2019
package trustpolicy.boston.immigration_role

import data.trustpolicy.lib

# The prohibited act, before exceptions. Facts are read positively: a missing fact
# leaves it false and the input check reports what is missing.
# Acting as, or being deputized or cross-designated to use the powers of, an immigration
# officer, or joining an operation whose primary purpose is immigration enforcement:
# always, whatever the label; nothing lifts it.
_immigration_role if input.action == "perform_immigration_function"

_immigration_role if {
	input.action == "join_operation"
	input.operation.primary_purpose == "immigration_enforcement"
}

default triggered := false

triggered if _immigration_role

# Led by, partnered with or reported to an immigration authority: joining immigration
# enforcement whatever its label (contract rev. 2), unless a judicial criminal warrant is
# presented or, without ICE-ERO, CBP or USCIS, it is a criminal task force.
triggered if {
	input.action == "join_operation"
	lib.to_immigration_authority
}

# Joined for civil immigration enforcement: the stated purpose may be the only link; like an
# immigration partner, only a judicial criminal warrant lifts it (EXC-TASK-FORCE never
# applies to a civil purpose), so neither ever turns a deny into an allow (invariant 6).
triggered if {
	input.action == "join_operation"
	input.purpose == "civil_immigration_enforcement"
}

_lifters contains exception if {
	triggered
	not _immigration_role
	some exception in lib.lifted_by[_meta.custom.id]
}

violations contains lib.entry(_meta, lib.guard_notes) if {
	triggered
	count(_lifters) == 0
}

lifted contains [exception, _meta.custom.id] if some exception in _lifters

# The provision's METADATA: id, citation, confidence, message, versions.
_meta := rego.metadata.chain()[1].annotations
