# METADATA
# title: No holding a person solely on a civil detainer (Lunn v. Commonwealth)
# description: >-
#   Massachusetts officers have no authority to hold anyone solely on a federal civil
#   immigration detainer past the time they would otherwise be released. It binds every
#   Massachusetts municipality, whatever its ordinance says; no exception exists for a
#   civil detainer. A judicial criminal warrant means the hold is not "solely" on it.
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
package trustpolicy.massachusetts.lunn

import data.trustpolicy.lib

# The prohibited act, before exceptions. Facts are read positively: a missing fact
# leaves it false and the input check reports what is missing.
default triggered := false

triggered if {
	input.action == "detain"
	input.subject.eligible_for_release == true
	"civil_detainer" in lib.authority_types
	not lib.judicial_warrant
}

violations contains lib.entry(_meta, set()) if triggered

# The provision's METADATA: id, citation, confidence, message.
_meta := rego.metadata.chain()[1].annotations
