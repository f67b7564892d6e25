# METADATA
# title: Order of a court in a criminal matter
# description: >-
#   Another order of a court in a criminal matter, such as a writ directing the transfer of
#   a person, issued by a judicial officer, lifts the prohibitions on transfers and on
#   giving personal and release information. It needs a documented criminal case: an order
#   from a civil case (habeas, removal) lifts nothing, and an immigration judge's order is
#   civil.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2019) § 2
# custom:
#   id: EXC-JUDICIAL-ORDER
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: text
#   document: judicial_order
#   issued_by: [federal_judge, state_judge, magistrate]
#   needs: criminal_case
#   never: [immigration_judge, ice_officer, an order without a criminal case]
#   message: >-
#     An order of a court in a criminal matter, issued by a judicial officer, directs the
#     act; the Trust Act does not bar complying with it.
#   lifts: [BTA-XFER-01, BTA-INFO-01, BTA-INFO-02]
#   versions:
#     - version: BTA-2019
package trustpolicy.exceptions.judicial_order

import data.trustpolicy.lib

applies if lib.judicial_order

# The exception's METADATA: id, citation, confidence, message, versions and what they lift.
meta := rego.metadata.chain()[1].annotations
