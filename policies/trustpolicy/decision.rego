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

import data.trustpolicy.boston.arrest
import data.trustpolicy.boston.detention
import data.trustpolicy.boston.immigration_role
import data.trustpolicy.boston.inquiry
import data.trustpolicy.boston.personal_information
import data.trustpolicy.boston.release_information
import data.trustpolicy.boston.reporting
import data.trustpolicy.boston.resources
import data.trustpolicy.boston.transfer
import data.trustpolicy.engine.input as request
import data.trustpolicy.federal.section_1373
import data.trustpolicy.lib
import data.trustpolicy.massachusetts.lunn

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

_provision_violations := union({
	inquiry.violations,
	detention.violations,
	arrest.violations,
	transfer.violations,
	personal_information.violations,
	release_information.violations,
	resources.violations,
	immigration_role.violations,
	lunn.violations,
})

default escalations := set()

escalations := section_1373.escalations if request.well_formed

# Every detainer received is recorded, even one that came with a malformed request: the
# obligation reads only the fact that a detainer arrived, and the outcome stays deny.
obligations := reporting.obligations

default _lifted := set()

_lifted := union({
	inquiry.lifted,
	detention.lifted,
	arrest.lifted,
	transfer.lifted,
	personal_information.lifted,
	release_information.lifted,
	resources.lifted,
	immigration_role.lifted,
}) if request.well_formed

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
