# METADATA
# title: Joint task force whose primary purpose is criminal enforcement
# description: >-
#   Officers may serve on a joint task force whose primary purpose is criminal enforcement,
#   on criminal duties backed by a documented criminal case, even with a federal partner
#   that also enforces immigration law. It never covers performing immigration functions.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2019) § 2
# custom:
#   id: EXC-TASK-FORCE
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: reported
#   lifts: [BTA-ROLE-01]
#   message: >-
#     A joint task force whose primary purpose is criminal enforcement, on criminal duties
#     in a documented case; officers may not enforce civil immigration law within it.
package trustpolicy.exceptions.task_force

import data.trustpolicy.lib

applies if {
	input.action == "join_operation"
	input.operation.primary_purpose == "criminal_enforcement"
	lib.has_criminal_case
	not input.purpose == "civil_immigration_enforcement"
}

# The exception's METADATA: id, citation, confidence, message and what it lifts.
meta := rego.metadata.chain()[1].annotations
