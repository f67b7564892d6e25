# METADATA
# title: Record every civil detainer request for the annual report
# description: >-
#   Section 3: the Police Commissioner reports every civil detainer request received each
#   year to the City Council (date, district, disposition), the people detained and
#   transferred on one, and federal reimbursements. Every detainer must be recorded.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act, City of Boston Code of Ordinances § 11-1.9 (2014, amended 2019)
# custom:
#   id: BTA-RPT-01
#   citation: Boston Code § 11-1.9; Boston Trust Act (2014) § 3, as amended (2019) § 3
#   confidence: reported
#   message: >-
#     Record this civil detainer request for the Commissioner's annual Trust Act report:
#     date, district and disposition, and whether the person was detained or transferred
#     on it.
#   versions:
#     - version: BTA-2014
package trustpolicy.boston.reporting

import data.trustpolicy.law
import data.trustpolicy.lib

_detainer_received if input.action == "receive_detainer"

_detainer_received if "civil_detainer" in lib.authority_types

_detainer_received if is_object(input.detainer)

obligations contains lib.entry(_meta, _notes) if _detainer_received

# A detainer that arrived with an unreadable occurred_at is still recorded, under the
# newest text: a record is never lost to a malformed request.
obligations contains lib.current_entry(_meta, _notes) if {
	_detainer_received
	not law.moment
}

_notes contains "The district was not given: record it by hand." if not input.actor.district

# The provision's METADATA: id, citation, confidence, message, versions.
_meta := rego.metadata.chain()[1].annotations
