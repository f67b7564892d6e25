# METADATA
# title: Status information to immigration authorities goes to legal review
# description: >-
#   8 U.S.C. § 1373 bars a local government from prohibiting the sending of citizenship or
#   immigration-status information to federal immigration authorities. It covers status
#   only, not release dates or addresses. The engine does not decide such a request alone.
# related_resources:
#   - ref: https://www.law.cornell.edu/uscode/text/8/1373
#     description: 8 U.S.C. § 1373
# custom:
#   id: FED-1373-ESC
#   citation: 8 U.S.C. § 1373
#   confidence: text
#   status_information: [immigration_status, citizenship]
#   message: >-
#     The request includes citizenship or immigration-status information (8 U.S.C.
#     § 1373): refer it to legal review before anything is sent.
#   versions:
#     - version: US-1373
package trustpolicy.federal.section_1373

import data.trustpolicy.lib

# Escalated whatever else the decision says, even when the request is denied or incomplete:
# status information given to an immigration authority is never a plain allow.
escalations contains lib.entry(_meta, set()) if {
	input.action == "share_information"
	lib.to_immigration_authority
	some item in input.information
	item in _meta.custom.status_information
}

# The provision's METADATA: id, citation, confidence, message, versions.
_meta := rego.metadata.chain()[1].annotations
