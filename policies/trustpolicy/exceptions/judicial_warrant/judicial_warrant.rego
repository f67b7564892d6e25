# METADATA
# title: Criminal warrant issued by a judicial officer
# description: >-
#   A criminal warrant signed by a federal or state judge or a magistrate lifts the
#   prohibitions on detaining, arresting, transferring and sharing. A "warrant" from an
#   immigration judge or an ICE officer is an administrative document and lifts nothing.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2019) § 1, definition of ICE administrative warrant
# custom:
#   id: EXC-JUDICIAL-WARRANT
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) §§ 1-2
#   confidence: text
#   lifts: [BTA-DET-01, BTA-ARR-01, BTA-XFER-01, BTA-INFO-01, BTA-INFO-02]
#   message: >-
#     A criminal warrant signed by a judicial officer (federal or state judge, or
#     magistrate) was presented; the Trust Act does not bar acting on it.
package trustpolicy.exceptions.judicial_warrant

import data.trustpolicy.lib

applies if lib.judicial_warrant

# The exception's METADATA: id, citation, confidence, message and what it lifts.
meta := rego.metadata.chain()[1].annotations
