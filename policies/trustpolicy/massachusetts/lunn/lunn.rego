# METADATA
# title: No holding a person solely on a civil detainer (Lunn v. Commonwealth)
# description: >-
#   Massachusetts officers have no authority to hold anyone solely on a federal civil
#   immigration detainer past the time they would otherwise be released. It binds every
#   Massachusetts municipality, whatever its ordinance says; no exception exists for a
#   civil detainer. A judicial criminal warrant or a state criminal warrant means the hold is
#   not "solely" on the detainer.
# related_resources:
#   - ref: https://law.justia.com/cases/massachusetts/supreme-court/2017/sjc-12276.html
#     description: Lunn v. Commonwealth, 477 Mass. 517 (2017)
# custom:
#   id: MA-LUNN-01
#   citation: Lunn v. Commonwealth, 477 Mass. 517 (2017)
#   confidence: text
#   message: >-
#     Massachusetts law (Lunn v. Commonwealth): no one may be held solely on a civil
#     immigration detainer past the time they would otherwise be released.
#   versions:
#     - version: MA-LUNN
package trustpolicy.massachusetts.lunn

import data.trustpolicy.lib

# The prohibited act: a hold in custody past release eligibility that rests on a civil
# detainer alone. Nothing lifts it; another criminal basis means it is not "solely".
default triggered := false

triggered if {
	input.action == "detain"
	input.subject.in_custody == true
	input.subject.eligible_for_release == true
	"civil_detainer" in lib.civil_documents
	not lib.judicial_warrant
	not lib.state_warrant
}

violations contains lib.entry(_meta, set()) if triggered

# The provision's METADATA: id, citation, confidence, message, versions.
_meta := rego.metadata.chain()[1].annotations
