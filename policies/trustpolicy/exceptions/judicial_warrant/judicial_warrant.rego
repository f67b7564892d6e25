# METADATA
# title: Criminal warrant issued by a judicial officer
# description: >-
#   A judicial criminal warrant signed by a federal or state judge or a magistrate (a
#   clerk-magistrate included) lifts the prohibitions on detaining, arresting, transferring
#   and sharing. Never counts: a state criminal warrant (a basis for the city's own arrest or
#   hold only), and a "warrant" from an immigration judge or an ICE officer (an
#   administrative document). For resources and operations it lifts only the link to an
#   immigration authority (invariant 1), never a civil purpose, an immigration operation or
#   acting as an immigration officer. The 2014 Act knew it only for detainer holds.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2019) § 1, definition of ICE administrative warrant
# custom:
#   id: EXC-JUDICIAL-WARRANT
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) §§ 1-2
#   confidence: text
#   document: judicial_criminal_warrant
#   issued_by: [federal_judge, state_judge, magistrate]
#   never: [state_criminal_warrant, immigration_judge, ice_officer]
#   message: >-
#     A criminal warrant signed by a judicial officer (federal or state judge, or
#     magistrate) was presented; the Trust Act does not bar acting on it.
#   lifts: [BTA-DET-01, BTA-ARR-01, BTA-XFER-01, BTA-INFO-01, BTA-INFO-02, BTA-RES-01, BTA-ROLE-01]
#   versions:
#     - version: BTA-2014
#       citation: Boston Code § 11-1.9; Boston Trust Act (2014) § 2
#       lifts: [BTA-DET-01]
#     - version: BTA-2019
package trustpolicy.exceptions.judicial_warrant

import data.trustpolicy.lib

applies if lib.judicial_warrant

# The exception's METADATA: id, citation, confidence, message, versions and what they lift.
meta := rego.metadata.chain()[1].annotations
