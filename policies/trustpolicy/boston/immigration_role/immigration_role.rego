# METADATA
# title: No acting as an immigration officer or joining immigration operations
# description: >-
#   No acting as, or being deputized to perform the functions of, an immigration officer
#   (287(g) agreements included), and no joining an operation whose primary purpose is
#   immigration enforcement or that is run with an immigration authority, unless it is a
#   joint task force for criminal enforcement on criminal duties.
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
package trustpolicy.boston.immigration_role

import data.trustpolicy.lib

# The prohibited act, before exceptions. Facts are read positively: a missing fact
# leaves it false and the input check reports what is missing.
default triggered := false

triggered if input.action == "perform_immigration_function"

triggered if {
	input.action == "join_operation"
	_immigration_operation
}

_immigration_operation if input.operation.primary_purpose == "immigration_enforcement"

# Run with an immigration authority: a joint operation, unless its primary purpose is
# keeping the peace (a criminal one may qualify as a task force, EXC-TASK-FORCE).
_immigration_operation if {
	lib.to_immigration_authority
	input.operation.primary_purpose != "public_safety"
}

_immigration_operation if input.purpose == "civil_immigration_enforcement"

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
