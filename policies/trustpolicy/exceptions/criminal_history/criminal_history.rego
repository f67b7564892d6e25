# METADATA
# title: Answering a request limited to a named person's criminal history
# description: >-
#   A request that asks only for a named person's criminal history may be answered when the
#   person is charged with or convicted of a serious violent crime (subject.charges holds a
#   serious_violent_felony); the name and date of birth that identify the person may go with
#   it, nothing else. Reported (MassLive, Dec 2019).
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2019) § 2
# custom:
#   id: EXC-CRIMINAL-HISTORY
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2
#   confidence: reported
#   qualifying_severity: serious_violent_felony
#   message: >-
#     The request is limited to a named person's criminal history, and the person is charged
#     with or convicted of a serious violent crime; nothing else about the person may go
#     with it.
#   lifts: [BTA-INFO-01]
#   versions:
#     - version: BTA-2019
package trustpolicy.exceptions.criminal_history

import data.trustpolicy.lib

# The action is named first (lib.limited_to_criminal_history needs it too) so that OPA's
# rule index skips the rule for every other action.
applies if {
	input.action == "share_information"
	lib.limited_to_criminal_history
	some charge in input.subject.charges
	charge.severity == meta.custom.qualifying_severity
}

# The exception's METADATA: id, citation, confidence, message, versions and what they lift.
meta := rego.metadata.chain()[1].annotations
