# METADATA
# title: Joint task force whose primary purpose is criminal enforcement
# description: >-
#   Officers may join the work of a joint task force whose primary purpose is criminal
#   enforcement, on criminal duties backed by a documented criminal case, even with ICE-HSI
#   as a partner. Never with ICE-ERO, CBP or USCIS as counterpart, forwarding recipient or
#   partner, never for a civil purpose, and never for performing immigration functions
#   (deputization or cross-designation is always BTA-ROLE-01).
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2019) § 2
# custom:
#   id: EXC-TASK-FORCE
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: reported
#   never: [ICE-ERO, CBP, USCIS, perform_immigration_function, civil_immigration_enforcement purpose]
#   message: >-
#     A joint task force whose primary purpose is criminal enforcement, on criminal duties
#     in a documented case; officers may not enforce civil immigration law within it.
#   lifts: [BTA-ROLE-01]
#   versions:
#     - version: BTA-2019
package trustpolicy.exceptions.task_force

import data.trustpolicy.lib

applies if {
	input.action == "join_operation"
	input.operation.primary_purpose == "criminal_enforcement"
	lib.has_criminal_case
	not input.purpose == "civil_immigration_enforcement"
	not lib.to_civil_immigration_agency
}

# The exception's METADATA: id, citation, confidence, message, versions and what they lift.
meta := rego.metadata.chain()[1].annotations
