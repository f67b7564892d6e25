# METADATA
# title: Keeping the peace at a scene
# description: >-
#   Officers may keep the peace at a scene (crowd and traffic control) where immigration
#   authorities act, as long as they take no part in the enforcement action itself.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2019) § 2
# custom:
#   id: EXC-PUBLIC-SAFETY
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: reported
#   lifts: [BTA-RES-01]
#   message: >-
#     Keeping the peace at the scene (crowd or traffic) is allowed; officers may take no
#     part in the immigration enforcement action itself.
package trustpolicy.exceptions.public_safety

applies if input.purpose == "public_safety"

# The exception's METADATA: id, citation, confidence, message and what it lifts.
meta := rego.metadata.chain()[1].annotations
