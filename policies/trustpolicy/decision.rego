# METADATA
# title: The Trust Act decision
# description: >-
#   The one entry point every departmental system asks: data.trustpolicy.decision returns
#   the decision document of the contract (section 4) for every input. The outcome is
#   derived: any violation denies, else any escalation escalates, else allow.
# related_resources:
#   - ref: https://www.boston.gov/departments/police/boston-trust-act
#     description: Boston Trust Act, City of Boston Code of Ordinances § 11-1.9
package trustpolicy

import data.trustpolicy.engine.input as request
import data.trustpolicy.law
import data.trustpolicy.lib

# METADATA
# entrypoint: true
decision := {
	"outcome": outcome,
	"allowed": outcome == "allow",
	"violations": violations,
	"exceptions": exception_entries,
	"escalations": escalations,
	"obligations": obligations,
	"policy": {"revision": revision},
	"law": law.summary,
}

# METADATA
# description: >-
#   Many decisions in one query: input.requests is a list of input documents; the result
#   is the list of their decisions, in order, each identical to data.trustpolicy.decision.
# entrypoint: true
batch := [d |
	some request_input in object.get(input, "requests", [])

	# regal ignore:with-outside-test-context,comprehension-term-assignment
	d := decision with input as request_input
]

# Every package below an instrument (boston, massachusetts, federal) is registered by its
# folder: its violations, escalations, obligations and lifted provisions reach the decision
# without an import list, so adding a provision is one folder. The annotation check
# (data.trustpolicy.checks) fails the build for a provision package that contributes none.
# (Rego needs a literal rule name after each instrument's packages: a variable there would
# also reach the test packages beside them, which evaluate the decision.)
_contributions contains ["violations", item] if {
	some name
	items := data.trustpolicy.boston[name].violations
	some item in items
}

_contributions contains ["violations", item] if {
	some name
	items := data.trustpolicy.massachusetts[name].violations
	some item in items
}

_contributions contains ["violations", item] if {
	some name
	items := data.trustpolicy.federal[name].violations
	some item in items
}

_contributions contains ["escalations", item] if {
	some name
	items := data.trustpolicy.boston[name].escalations
	some item in items
}

_contributions contains ["escalations", item] if {
	some name
	items := data.trustpolicy.massachusetts[name].escalations
	some item in items
}

_contributions contains ["escalations", item] if {
	some name
	items := data.trustpolicy.federal[name].escalations
	some item in items
}

_contributions contains ["obligations", item] if {
	some name
	items := data.trustpolicy.boston[name].obligations
	some item in items
}

_contributions contains ["obligations", item] if {
	some name
	items := data.trustpolicy.massachusetts[name].obligations
	some item in items
}

_contributions contains ["obligations", item] if {
	some name
	items := data.trustpolicy.federal[name].obligations
	some item in items
}

_contributions contains ["lifted", item] if {
	some name
	items := data.trustpolicy.boston[name].lifted
	some item in items
}

_contributions contains ["lifted", item] if {
	some name
	items := data.trustpolicy.massachusetts[name].lifted
	some item in items
}

_contributions contains ["lifted", item] if {
	some name
	items := data.trustpolicy.federal[name].lifted
	some item in items
}

# Derived, never written by hand: any violation denies, else any escalation escalates.
# A request that fails the input check is denied even if TP-INPUT-01 ever failed to report.
default outcome := "allow"

outcome := "deny" if _denied

outcome := "escalate" if {
	not _denied
	count(escalations) > 0
}

_denied if count(violations) > 0

_denied if not request.well_formed

# A malformed or incomplete request is decided by TP-INPUT-01 alone: no provision reads
# garbage or guesses a missing fact.
violations := request.violations if not request.well_formed

violations := request.violations | _provision_violations if request.well_formed

_provision_violations contains violation if some ["violations", violation] in _contributions

# Status information given to an immigration authority is escalated even when the request
# is also denied or incomplete (invariant 4): the escalation reads only that fact.
escalations contains escalation if some ["escalations", escalation] in _contributions

# Every detainer received is recorded, even one that came with a malformed request: the
# obligation reads only the fact that a detainer arrived, and the outcome stays deny.
obligations contains obligation if some ["obligations", obligation] in _contributions

_lifted contains pair if {
	request.well_formed
	some ["lifted", pair] in _contributions
}

# One entry per exception that lifted a provision; "lifts" names what it lifted.
exception_entries contains entry if {
	some [exception, _] in _lifted
	entry := object.union(lib.exception_entries[exception], _lifts(exception))
}

_lifts(exception) := {"lifts": concat(", ", lifted), "lifted": lifted} if {
	lifted := sort({provision | some [lifter, provision] in _lifted; lifter == exception})
}

# The revision of the bundle the decision came from ("unbundled" when loaded from files).
default revision := "unbundled"

revision := concat(",", sort(_revisions)) if count(_revisions) > 0

_revisions contains revision if {
	# regal ignore:unresolved-reference
	some bundle in data.system.bundles
	revision := bundle.manifest.revision
	revision != ""
}
