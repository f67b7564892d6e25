# METADATA
# title: Keeping the peace at a scene
# description: >-
#   Officers may keep the peace at a scene (crowd and traffic control) where immigration
#   authorities act, as long as they take no part in the enforcement action itself. Labels do
#   not lift: it never covers resources that serve the enforcement action (perimeters,
#   backup, interview rooms, city facilities, vehicles), an operation whose primary purpose
#   is immigration enforcement, a civil purpose, or resources that reach ICE-ERO, CBP or
#   USCIS.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2019) § 2
# custom:
#   id: EXC-PUBLIC-SAFETY
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: reported
#   never: [ICE-ERO, CBP, USCIS, immigration_enforcement operations, civil_immigration_enforcement purpose]
#   message: >-
#     Keeping the peace at the scene (crowd or traffic) is allowed; officers may take no
#     part in the immigration enforcement action itself.
#   lifts: [BTA-RES-01]
#   versions:
#     - version: BTA-2019
package trustpolicy.exceptions.public_safety

import data.trustpolicy.lib

# Both the request and the scene are about keeping the peace, and no one who enforces civil
# immigration law receives anything: a stated purpose alone never suffices.
applies if {
	input.action == "commit_resources"
	input.purpose == "public_safety"
	input.operation.primary_purpose == "public_safety"
	not lib.to_civil_immigration_agency
}

# The exception's METADATA: id, citation, confidence, message, versions and what they lift.
meta := rego.metadata.chain()[1].annotations
