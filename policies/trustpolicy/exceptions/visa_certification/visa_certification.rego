# METADATA
# title: Certifying a crime or trafficking victim for a T or U visa
# description: >-
#   Questions needed to certify that a victim of a crime or of trafficking helped law
#   enforcement, for a U or T visa. The answer may not be shared for enforcement, so the
#   exception never covers a question asked for, or reported to, ICE-ERO, CBP or ICE-HSI.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2019) § 2
#   - ref: https://www.law.cornell.edu/uscode/text/8/1184
#     description: 8 U.S.C. § 1184(p), U visa certification
# custom:
#   id: EXC-VISA-CERT
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2; 8 U.S.C. § 1184(p)
#   confidence: reported
#   subject_role: victim
#   never: [ICE-ERO, ICE-HSI, CBP]
#   message: >-
#     Questions needed to certify a crime or trafficking victim for a T or U visa are
#     allowed; the answer may not be shared for immigration enforcement.
#   lifts: [BTA-INQ-01]
#   versions:
#     - version: BTA-2019
package trustpolicy.exceptions.visa_certification

import data.trustpolicy.lib

# USCIS decides T and U visas, so a certification may name it; enforcement agencies never.
applies if {
	input.action == "inquire_status"
	input.purpose == "visa_certification"
	input.subject.role == meta.custom.subject_role
	not _to_enforcement
}

_to_enforcement if some agency in (lib.recipients & {a | some a in meta.custom.never})

# The exception's METADATA: id, citation, confidence, message, versions and what they lift.
meta := rego.metadata.chain()[1].annotations
