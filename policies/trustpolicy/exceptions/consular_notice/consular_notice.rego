# METADATA
# title: Consular notification for an arrested foreign national
# description: >-
#   Asking an arrested person's nationality to give the consular notification that the
#   Vienna Convention on Consular Relations (art. 36) requires: the purpose is consular
#   notification and the person is in custody. The answer may not be shared with immigration
#   authorities, so the exception never covers a question asked for or reported to one.
#   Our interpretation.
# related_resources:
#   - ref: https://www.state.gov/consular-notification
#     description: Vienna Convention on Consular Relations, art. 36 (consular notification)
# custom:
#   id: EXC-CONSULAR-NOTICE
#   citation: Boston Trust Act (2019) § 2; Vienna Convention on Consular Relations art. 36
#   confidence: interpretation
#   never: [ICE-ERO, ICE-HSI, CBP, USCIS, a person not in custody]
#   message: >-
#     Asking an arrested person's nationality to give the consular notification the Vienna
#     Convention requires is allowed; the answer may not be shared with immigration
#     authorities (interpretation; needs legal sign-off).
#   lifts: [BTA-INQ-01]
#   versions:
#     - version: BTA-2019
package trustpolicy.exceptions.consular_notice

import data.trustpolicy.lib

applies if {
	input.action == "inquire_status"
	input.purpose == "consular_notification"
	input.subject.in_custody == true
	not lib.to_immigration_authority
}

# The exception's METADATA: id, citation, confidence, message, versions and what they lift.
meta := rego.metadata.chain()[1].annotations
