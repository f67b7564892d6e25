# METADATA
# title: Shared facts and helpers of the Trust Act policies
# description: >-
#   The facts every provision reads (who receives, what documents were shown, whether a
#   criminal case backs the request) and the one helper that turns METADATA into decision
#   entries. Facts are written positively, so a missing fact never lifts a prohibition.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act (City of Boston Code of Ordinances § 11-1.9)
package trustpolicy.lib

# Immigration authorities named by the contract's guards.
immigration_authorities := {"ICE-ERO", "ICE-HSI", "CBP", "USCIS"}

# ICE-ERO, CBP and USCIS never qualify for the criminal exceptions: for them a request
# without a judicial warrant is civil immigration enforcement.
civil_immigration_agencies := {"ICE-ERO", "CBP", "USCIS"}

# Judicial officers: a federal or state judge or a magistrate. An immigration judge and an
# ICE officer are not (Trust Act 2019 § 1, "ICE administrative warrant").
judicial_officers := {"federal_judge", "state_judge", "magistrate"}

# Criminal warrants; they count only when a judicial officer issued them.
criminal_warrant_types := {"judicial_criminal_warrant", "state_criminal_warrant"}

# Documents whose force depends on who issued them.
issuer_dependent_types := criminal_warrant_types | {"judicial_order"}

# Civil immigration documents: a detainer request, an administrative warrant (I-200,
# I-205) and a removal order signed by an immigration judge.
civil_document_types := {"civil_detainer", "ice_administrative_warrant", "removal_order"}

# Everyone the act reaches: the counterpart, anyone it forwards to, and an operation partner.
# A city department that forwards to ICE is treated as ICE.
recipients contains input.counterpart.agency

recipients contains agency if some agency in input.counterpart.forwards_to

recipients contains input.operation.partner

# The act reaches an immigration authority (directly, by forwarding, or as a partner).
to_immigration_authority if some agency in (recipients & immigration_authorities)

# The act reaches ICE-ERO, CBP or USCIS.
to_civil_immigration_agency if some agency in (recipients & civil_immigration_agencies)

# Criminal only with a criminal case reference (the contract's "solely civil" guard).
has_criminal_case if input.criminal_case.id != ""

claims_criminal_purpose if input.purpose == "criminal_investigation"

claims_criminal_purpose if input.operation.primary_purpose == "criminal_enforcement"

# Pretext guard: a criminal purpose claimed without a criminal case, in a matter that
# touches an immigration authority, is treated as civil immigration enforcement.
pretext if {
	claims_criminal_purpose
	not has_criminal_case
	to_immigration_authority
}

authority_types contains doc.type if some doc in input.authority

# A criminal warrant issued by a judicial officer.
judicial_warrant if {
	some doc in input.authority
	doc.type in criminal_warrant_types
	doc.issued_by in judicial_officers
}

# Another order of a court, issued by a judicial officer.
judicial_order if {
	some doc in input.authority
	doc.type == "judicial_order"
	doc.issued_by in judicial_officers
}

judicial_basis if judicial_warrant

judicial_basis if judicial_order

# Civil immigration documents shown, including a "warrant" or "order" whose issuer is not a
# judicial officer (an immigration judge's order is civil too).
civil_documents contains doc.type if {
	some doc in input.authority
	doc.type in civil_document_types
}

civil_documents contains doc.type if {
	some doc in input.authority
	doc.type in issuer_dependent_types
	not _judicial_issuer(doc)
}

_judicial_issuer(doc) if doc.issued_by in judicial_officers

# The act serves civil immigration enforcement: said so, or given to an immigration
# authority without a criminal case, or to ICE-ERO, CBP or USCIS without a judicial
# warrant or order, or part of an operation whose primary purpose is immigration.
civil_enforcement if input.purpose == "civil_immigration_enforcement"

civil_enforcement if {
	to_immigration_authority
	not has_criminal_case
}

civil_enforcement if {
	to_civil_immigration_agency
	not judicial_basis
}

civil_enforcement if input.operation.primary_purpose == "immigration_enforcement"

# An act bound for immigration enforcement: it reaches an immigration authority or is
# made for civil immigration enforcement. Holding and arresting are judged by their
# basis (this); giving and transferring by who receives (to_immigration_authority).
immigration_bound if to_immigration_authority

immigration_bound if input.purpose == "civil_immigration_enforcement"

# Sentences appended to a violation's message, naming the guard that applied.
guard_notes contains concat(" ", [
	"A criminal purpose was claimed without a criminal case reference,",
	"so the request is treated as civil immigration enforcement (pretext guard).",
]) if pretext

guard_notes contains concat(" ", [
	"ICE-ERO, CBP and USCIS do not qualify for the criminal exceptions:",
	"without a judicial warrant their request is civil immigration enforcement.",
]) if {
	to_civil_immigration_agency
	has_criminal_case
	not judicial_basis
}

# Each provision and exception package reads its own METADATA once per decision as
# `_meta := rego.metadata.chain()[1].annotations`: the chain runs from the rule (which has
# no METADATA of its own) to its package, so [1] is the package's annotation.
#
# entry builds a decision entry from a provision's METADATA annotation; notes are sentences
# added to the message (the guards that applied).
entry(ann, notes) := {
	"rule": ann.custom.id,
	"title": ann.title,
	"citation": ann.custom.citation,
	"confidence": ann.custom.confidence,
	"message": concat(" ", array.concat([ann.custom.message], sort(notes))),
}

# lifted_by[provision] holds the ids of the applied exceptions whose METADATA says they
# lift that provision.
lifted_by[provision] contains meta.custom.id if {
	some name
	data.trustpolicy.exceptions[name].applies
	meta := data.trustpolicy.exceptions[name].meta
	some provision in meta.custom.lifts
}

# The decision entry of each exception, by id.
exception_entries[meta.custom.id] := entry(meta, set()) if {
	some name
	meta := data.trustpolicy.exceptions[name].meta
}
