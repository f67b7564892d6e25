# METADATA
# title: Certifying a crime or trafficking victim for a T or U visa
# description: >-
#   Questions needed to certify that a victim of a crime or of trafficking helped law
#   enforcement, for a U or T visa. The answer may not be shared for enforcement.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2019) § 2
#   - ref: https://www.law.cornell.edu/uscode/text/8/1184
#     description: 8 U.S.C. § 1184(p), U visa certification
# custom:
#   id: EXC-VISA-CERT
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) § 2; 8 U.S.C. § 1184(p)
#   confidence: reported
#   lifts: [BTA-INQ-01]
#   message: >-
#     Questions needed to certify a crime or trafficking victim for a T or U visa are
#     allowed; the answer may not be shared for immigration enforcement.
package trustpolicy.exceptions.visa_certification

applies if {
	input.purpose == "visa_certification"
	input.subject.role == "victim"
}

# The exception's METADATA: id, citation, confidence, message and what it lifts.
meta := rego.metadata.chain()[1].annotations
