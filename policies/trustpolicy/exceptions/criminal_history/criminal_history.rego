# METADATA
# title: Answering a request limited to a named person's criminal history
# description: >-
#   A request that asks only for a named person's criminal history may be answered; the
#   name and date of birth that identify the person may accompany it, nothing else.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2019) § 2
# custom:
#   id: EXC-CRIMINAL-HISTORY
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: reported
#   lifts: [BTA-INFO-01]
#   allowed_information: [criminal_history, name, date_of_birth]
#   message: >-
#     The request is limited to a named person's criminal history, which may be answered;
#     nothing else about the person may go with it.
package trustpolicy.exceptions.criminal_history

applies if {
	input.action == "share_information"
	"criminal_history" in input.information
	allowed := {item | some item in meta.custom.allowed_information}
	every item in input.information {
		item in allowed
	}
}

# The exception's METADATA: id, citation, confidence, message and what it lifts.
meta := rego.metadata.chain()[1].annotations
