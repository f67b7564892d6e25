# METADATA
# title: Sharing with ICE-HSI for a documented criminal investigation in its remit
# description: >-
#   ICE's criminal investigations division (HSI) may receive information for a documented
#   criminal investigation in its remit (human smuggling and trafficking, narcotics and
#   weapons, transnational gangs, cybercrime, financial crime, document and benefit fraud,
#   child exploitation), not for removal. ICE-ERO, CBP and USCIS never qualify, nor does a
#   request that is forwarded to them or made with them as a partner.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (2019) §§ 1-2, definitions of ICE and ICE-HSI
# custom:
#   id: EXC-HSI-CRIMINAL
#   citation: Boston Code § 11-1.9; Boston Trust Act (2019) §§ 1-2
#   confidence: reported
#   hsi_remit:
#     - human_trafficking
#     - narcotics
#     - weapons
#     - gang
#     - cybercrime
#     - financial
#     - document_fraud
#     - child_exploitation
#   never: [ICE-ERO, CBP, USCIS, civil_immigration_enforcement purpose, a case outside the remit]
#   message: >-
#     ICE-HSI asks for a documented criminal investigation in its remit; the information
#     may be shared for that investigation only, never for removal.
#   lifts: [BTA-INFO-01, BTA-INFO-02]
#   versions:
#     - version: BTA-2019
package trustpolicy.exceptions.hsi_criminal

import data.trustpolicy.lib

applies if {
	input.action == "share_information"
	"ICE-HSI" in lib.recipients
	lib.has_criminal_case
	input.criminal_case.category in meta.custom.hsi_remit
	not input.purpose == "civil_immigration_enforcement"
	not lib.to_civil_immigration_agency
}

# The exception's METADATA: id, citation, confidence, message, versions and what they lift.
meta := rego.metadata.chain()[1].annotations
