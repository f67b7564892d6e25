# METADATA
# title: Status is an element of the offence in a documented criminal case
# description: >-
#   In a documented criminal case for an offence of which immigration status is an element
#   (illegal re-entry, 8 U.S.C. § 1326; immigration document fraud, 18 U.S.C. § 1546; and,
#   as our interpretation, smuggling and harbouring, 8 U.S.C. § 1324), the investigating
#   officer may establish status. A statute named decides by itself; without one only the
#   illegal re-entry category counts. Never for a civil purpose and never when ICE-ERO, CBP
#   or USCIS asks, receives or partners. Our interpretation.
# related_resources:
#   - ref: https://www.law.cornell.edu/uscode/text/8/1326
#     description: 8 U.S.C. § 1326, reentry of removed aliens
#   - ref: https://www.law.cornell.edu/uscode/text/18/1546
#     description: 18 U.S.C. § 1546, fraud and misuse of visas, permits and other documents
#   - ref: https://www.law.cornell.edu/uscode/text/8/1324
#     description: 8 U.S.C. § 1324, bringing in and harboring certain aliens
# custom:
#   id: EXC-CRIMINAL-ELEMENT
#   citation: Boston Trust Act (2019) § 2; 8 U.S.C. §§ 1324, 1326; 18 U.S.C. § 1546
#   confidence: interpretation
#   status_element_statutes: ["8usc1326", "18usc1546", "8usc1324"]
#   status_element_categories: [illegal_reentry]
#   never: [ICE-ERO, CBP, USCIS, civil_immigration_enforcement purpose]
#   message: >-
#     Immigration status is an element of the offence in the documented criminal case,
#     so it may be established for that case (interpretation; needs legal sign-off).
#   lifts: [BTA-INQ-01]
#   versions:
#     - version: BTA-2019
package trustpolicy.exceptions.criminal_element

import data.trustpolicy.lib

applies if {
	input.action == "inquire_status"
	lib.has_criminal_case
	not input.purpose == "civil_immigration_enforcement"
	not lib.to_civil_immigration_agency
	_status_is_element
}

_status_is_element if {
	not input.criminal_case.statute
	input.criminal_case.category in meta.custom.status_element_categories
}

_status_is_element if {
	# "8 U.S.C. § 1326(a)" and "8 USC 1326" both read as "8usc1326(a)" and "8usc1326"; the
	# section must not run on into more digits ("8 USC 13260" is another statute).
	statute := strings.replace_n({" ": "", ".": "", "§": ""}, lower(input.criminal_case.statute))
	some prefix in meta.custom.status_element_statutes
	startswith(statute, prefix)
	not substring(statute, count(prefix), 1) in _digits
}

_digits := {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

# The exception's METADATA: id, citation, confidence, message, versions and what they lift.
meta := rego.metadata.chain()[1].annotations
