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

import data.trustpolicy.law

# Immigration authorities named by the contract's guards.
immigration_authorities := {"ICE-ERO", "ICE-HSI", "CBP", "USCIS"}

# ICE-ERO, CBP and USCIS never qualify for the criminal exceptions: for them a request
# without a judicial warrant is civil immigration enforcement (contract rev. 2).
civil_immigration_agencies := {"ICE-ERO", "CBP", "USCIS"}

# Judicial officers: a federal or state judge or a magistrate (a clerk-magistrate is a
# magistrate). An immigration judge and an ICE officer are not (Trust Act 2019 § 1).
judicial_officers := {"federal_judge", "state_judge", "magistrate"}

# Documents whose force depends on who issued them.
issuer_dependent_types := {"judicial_criminal_warrant", "state_criminal_warrant", "judicial_order"}

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

_judicial_issuer(doc) if doc.issued_by in judicial_officers

# EXC-JUDICIAL-WARRANT: a judicial criminal warrant issued by a judicial officer. A state
# criminal warrant never counts as one (contract rev. 2, "Whose warrant").
judicial_warrant if {
	some doc in input.authority
	doc.type == "judicial_criminal_warrant"
	_judicial_issuer(doc)
}

# EXC-JUDICIAL-ORDER: an order of a court in a criminal matter, which needs a criminal
# case; an order from a civil case (habeas, removal) lifts nothing.
judicial_order if {
	has_criminal_case
	some doc in input.authority
	doc.type == "judicial_order"
	_judicial_issuer(doc)
}

# A state criminal warrant from a judicial officer commands the person's production before
# a state court: an independent criminal basis for the city's own arrest or hold.
state_warrant if {
	some doc in input.authority
	doc.type == "state_criminal_warrant"
	_judicial_issuer(doc)
}

# The city's own criminal basis for arresting or stopping a person, so that the arrest does
# not rest on civil documents ("an independent criminal basis is a different arrest"): a
# state criminal warrant, or probable cause of a crime in a documented case. A hold in
# custody of a person eligible for release is not "solely" civil only on a state warrant:
# once eligible for release, nothing criminal holds them (lib.state_warrant).
independent_criminal_basis if state_warrant

independent_criminal_basis if {
	"criminal_probable_cause" in authority_types
	has_criminal_case
}

# Civil immigration documents shown, including a "warrant" or "order" whose issuer is not a
# judicial officer (an immigration judge's order is civil too), and a detainer as received.
civil_documents contains doc.type if {
	some doc in input.authority
	doc.type in civil_document_types
}

civil_documents contains doc.type if {
	some doc in input.authority
	doc.type in issuer_dependent_types
	doc.issued_by
	not _judicial_issuer(doc)
}

civil_documents contains "civil_detainer" if is_object(input.detainer)

# A request limited to a named person's criminal history (EXC-CRIMINAL-HISTORY): it asks for
# the criminal history, and for nothing but the name and date of birth with it.
criminal_history_items := {"criminal_history", "name", "date_of_birth"}

limited_to_criminal_history if {
	input.action == "share_information"
	"criminal_history" in input.information
	every item in input.information {
		item in criminal_history_items
	}
}

# An act bound for immigration enforcement: it reaches an immigration authority or is
# made for civil immigration enforcement. Holding and arresting are judged by their
# basis (this); giving and transferring by who receives (to_immigration_authority).
immigration_bound if to_immigration_authority

immigration_bound if input.purpose == "civil_immigration_enforcement"

immigration_bound if input.operation.primary_purpose == "immigration_enforcement"

# Sentences appended to a violation's message, naming the guard that applied.
guard_notes contains concat(" ", [
	"A criminal purpose was claimed without a criminal case reference,",
	"so the request is treated as civil immigration enforcement (pretext guard).",
]) if pretext

guard_notes contains concat(" ", [
	"ICE-ERO, CBP and USCIS do not qualify for the criminal exceptions:",
	"without a judicial criminal warrant their request is civil immigration enforcement.",
]) if {
	to_civil_immigration_agency
	has_criminal_case
	not judicial_warrant
}

guard_notes contains concat(" ", [
	"A state criminal warrant is a basis for the city's own arrest or hold only;",
	"it is not a judicial criminal warrant and lifts nothing.",
]) if state_warrant

# Each provision and exception package reads its own METADATA once per decision as
# `_meta := rego.metadata.chain()[1].annotations`: the chain runs from the rule (which has
# no METADATA of its own) to its package, so [1] is the package's annotation.
#
# A rule's METADATA lists in `custom.versions` the versions of the law that enact it, each
# with what that version says where it differs (citation, message, lifts...). text(ann) is
# the rule as the law in force on the day of the act has it, with the version that decided;
# it is undefined when no version of the rule is in force, so the rule cannot fire.
# A rule of the engine itself (TP-INPUT-01) is no law: it names its `version` directly and
# is in force whatever the day.
text(ann) := ann.custom if {
	not ann.custom.versions
	ann.custom.version
}

text(ann) := object.union(object.remove(ann.custom, {"versions"}), latest) if {
	texts := [t | some t in ann.custom.versions; t.version in law.in_force]
	latest := texts[count(texts) - 1]
}

# The rule as its newest version has it, whatever the day: for a record that must be kept
# even when the day of the act cannot be read.
current_text(ann) := object.union(object.remove(ann.custom, {"versions"}), latest) if {
	latest := ann.custom.versions[count(ann.custom.versions) - 1]
}

# entry builds a decision entry from a provision's METADATA annotation, as the law in force
# has it; notes are sentences added to the message (the guards that applied).
entry(ann, notes) := _entry(ann, text(ann), notes)

current_entry(ann, notes) := _entry(ann, current_text(ann), notes)

_entry(ann, t, notes) := {
	"rule": t.id,
	"title": ann.title,
	"citation": t.citation,
	"confidence": t.confidence,
	"version": t.version,
	"message": concat(" ", array.concat([t.message], sort(notes))),
}

# The exceptions that apply to this request, by package name, each as the law in force has
# it: only these are turned into entries (an exception that does not apply costs nothing).
_applied[name] := t if {
	some name
	data.trustpolicy.exceptions[name].applies
	t := text(data.trustpolicy.exceptions[name].meta)
}

# lifted_by[provision] holds the ids of the applied exceptions whose text in force says they
# lift that provision.
lifted_by[provision] contains t.id if {
	some t in _applied
	some provision in t.lifts
}

# The decision entry of each applied exception, by id.
exception_entries[t.id] := _entry(data.trustpolicy.exceptions[name].meta, t, set()) if {
	some name, t in _applied
}
