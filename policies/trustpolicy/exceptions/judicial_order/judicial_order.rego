# METADATA
# title: Order of a court in a criminal matter
# description: >-
#   Another order of a court in a criminal matter, such as a writ directing the transfer of
#   a person, issued by a judicial officer, lifts the prohibition on transfers. An order of
#   an immigration judge is civil.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2019) § 2
# custom:
#   id: EXC-JUDICIAL-ORDER
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: text
#   lifts: [BTA-XFER-01]
#   message: >-
#     An order of a court in a criminal matter, issued by a judicial officer, directs the
#     transfer; the Trust Act does not bar complying with it.
package trustpolicy.exceptions.judicial_order

import data.trustpolicy.lib

applies if lib.judicial_order

# The exception's METADATA: id, citation, confidence, message and what it lifts.
meta := rego.metadata.chain()[1].annotations
