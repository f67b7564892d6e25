"""The invariants of contract revision 2, section 2, as pure checks on (input, decision).

Written from ``../shared/trust-act.md`` alone. Each check returns the reasons a decision
breaks an invariant (empty when it holds); :class:`Tally` counts checks and keeps the first
counterexamples of each invariant in full. Which law version an input falls under is read
from ``occurred_at`` (section 2, Versions in force): invariants that rest on a provision
are checked only where that provision is in force.

- ``outcome``: derived from the sets (any violation: deny; else any escalation: escalate;
  else allow) and ``allowed`` is true exactly when the outcome is allow (section 4).
- ``1`` (BTA-2019): a transfer, personal, release or criminal-history information, joining
  or resources that reach ICE-ERO, CBP or USCIS (counterpart, forwarding recipient or
  partner) are denied unless a judicial criminal warrant, or where the table lists it a
  judicial order in a criminal matter (BTA-XFER-01, BTA-INFO-01/02) or the criminal-history
  exception (BTA-INFO-01), is in the input.
- ``2`` (BTA-2014 on for civil detainers, BTA-2019 for every civil document): a hold of a
  person in custody and eligible for release on civil documents alone is never allowed.
- ``2-stop`` (BTA-2019; the Clarification "Stops", not a numbered invariant): a stop of a
  person not in custody, or an arrest, on civil documents alone is never allowed.
- ``3`` (every version): malformed input is denied with TP-INPUT-01; an input lacking a
  fact the applicable provision needs is never allowed.
- ``4`` (US-1373 in force from 1996-09-30, so every enumerated date): status or citizenship
  given to any immigration authority carries FED-1373-ESC and is never allowed.
- ``5`` (BTA-2019): ``perform_immigration_function`` is denied.
- ``6`` (pairs, every version): see :func:`check_pair`.
"""

from __future__ import annotations

import json
from typing import Any

from invariants_space import (
    CIVIL_ONLY,
    IMMIGRATION,
    JUDICIAL_ISSUERS,
    PERSONAL,
    RELEASE,
    STATUS,
    Input,
    civil_paper,
    reaches,
)

Decision = dict[str, Any]
VERSIONS = (("US-1373", "1996-09-30"), ("BTA-2014", "2014-08-20"), ("MA-LUNN", "2017-07-24"),
            ("BTA-2019", "2019-12-19"))  # fmt: skip
#: The exceptions "named for a purpose" that invariant 6 allows to turn a deny into an allow.
PURPOSE_NAMED = frozenset({"EXC-VISA-CERT", "EXC-CONSULAR-NOTICE", "EXC-CRIMINAL-HISTORY"})
HISTORY_LIMITED = frozenset({"criminal_history", "name", "date_of_birth"})
INPUT_RULE = "TP-INPUT-01"
EXAMPLES_KEPT = 5
KINDS_KEPT = 100


def period(doc: Any) -> str | None:
    """The newest law version in force on the act's day (no ``occurred_at``: today)."""
    if not isinstance(doc, dict):
        return None
    when = doc.get("occurred_at")
    if when is None:
        return "BTA-2019"
    day = when[:10] if isinstance(when, str) else ""
    if len(day) != 10 or day[4] != "-" or day[7] != "-":
        return None
    in_force = [name for name, start in VERSIONS if start <= day]
    return in_force[-1] if in_force else "none"


def rules(decision: Decision, kind: str = "violations") -> set[str]:
    return {entry.get("rule") for entry in decision.get(kind) or ()}


def provision_violations(decision: Decision) -> set[str]:
    return rules(decision) - {INPUT_RULE}


def judicial_warrant(doc: Input) -> bool:
    """EXC-JUDICIAL-WARRANT can apply: a criminal warrant of a judicial officer."""
    return any(
        a.get("type") == "judicial_criminal_warrant" and a.get("issued_by") in JUDICIAL_ISSUERS
        for a in doc.get("authority") or ()
    )


def judicial_order(doc: Input) -> bool:
    """EXC-JUDICIAL-ORDER can apply: a court's order, and a criminal case (a criminal matter)."""
    return "criminal_case" in doc and any(
        a.get("type") == "judicial_order" and a.get("issued_by") in JUDICIAL_ISSUERS
        for a in doc.get("authority") or ()
    )


def criminal_history_exception(doc: Input) -> bool:
    """EXC-CRIMINAL-HISTORY can apply: only criminal history (+ name, date of birth) is asked,
    about a person charged with or convicted of a serious violent crime."""
    info = set(doc.get("information") or ())
    charges = (doc.get("subject") or {}).get("charges") or ()
    return (
        "criminal_history" in info
        and info <= HISTORY_LIMITED
        and any(c.get("severity") == "serious_violent_felony" for c in charges)
    )


def on_civil_documents_alone(doc: Input, version: str | None) -> bool:
    """The documents are civil only, as far as a provision in force covers them.

    BTA-2014 and MA-LUNN cover civil detainer requests; BTA-2019 every civil document.
    """
    papers = doc.get("authority") or []
    if not papers or not all(civil_paper(p) for p in papers):
        return False
    if version == "BTA-2019":
        return True
    if version in ("BTA-2014", "MA-LUNN"):
        kinds = {p.get("type") for p in papers}
        return "civil_detainer" in kinds and kinds <= {
            "civil_detainer", "judicial_criminal_warrant", "judicial_order"}  # fmt: skip
    return False


def recipients(doc: Input) -> set[str]:
    cp = doc.get("counterpart") or {}
    return {cp.get("agency"), *(cp.get("forwards_to") or ())} - {None}


def missing_fact(doc: Input, version: str | None) -> str | None:  # noqa: PLR0911
    """The fact an applicable provision needs and the input lacks, if any (invariant 3)."""
    action = doc.get("action")
    subject = doc.get("subject")
    if action == "detain" and on_civil_documents_alone(doc, version):
        for fact in ("in_custody", "eligible_for_release"):
            if subject is None or fact not in subject:
                return f"subject.{fact} for a hold or stop on civil documents"
    if version != "BTA-2019":
        return None
    if action == "share_information" and "counterpart" not in doc:
        return "counterpart of a share (BTA-INFO-01/02)"
    if action == "share_information" and not doc.get("information"):
        return "information of a share (BTA-INFO-01/02)"
    if action == "transfer_custody" and "counterpart" not in doc:
        return "counterpart of a transfer (BTA-XFER-01)"
    if action == "join_operation" and "operation" not in doc:
        return "operation to be joined (BTA-ROLE-01)"
    if action == "inquire_status":
        if doc["actor"].get("role") == "city_employee" and "purpose" not in doc:
            return "purpose of a city employee's status look-up (BTA-RES-01)"
        if (
            doc["actor"].get("role") == "police_officer"  # BTA-INQ-01 binds police officers
            and doc.get("purpose") == "consular_notification"
            and "in_custody" not in (subject or {})
            and "criminal_case" not in doc
        ):
            return "subject.in_custody for EXC-CONSULAR-NOTICE"
    if (
        action == "share_information"
        and "criminal_history" in set(doc.get("information") or ())
        and set(doc.get("information") or ()) <= HISTORY_LIMITED
        and recipients(doc) & set(CIVIL_ONLY)
        and "charges" not in (subject or {})
        and not (judicial_warrant(doc) or judicial_order(doc))
    ):
        return "subject.charges for a criminal-history request (EXC-CRIMINAL-HISTORY)"
    return None


def check_outcome(decision: Decision) -> list[str]:
    """Section 4: the outcome is derived from the sets; ``allowed`` follows the outcome."""
    problems = []
    derived = "deny" if decision.get("violations") else (
        "escalate" if decision.get("escalations") else "allow")  # fmt: skip
    if decision.get("outcome") != derived:
        problems.append(f"outcome {decision.get('outcome')!r} but the sets give {derived!r}")
    if decision.get("allowed") is not (decision.get("outcome") == "allow"):
        problems.append(
            f"allowed={decision.get('allowed')!r} with outcome {decision.get('outcome')!r}"
        )
    return problems


def check_reach(doc: Input, decision: Decision, version: str | None) -> list[str] | None:
    """Invariant 1 (None: the invariant does not apply to this input)."""
    if version != "BTA-2019" or not reaches(doc, CIVIL_ONLY):
        return None
    action = doc.get("action")
    info = set(doc.get("information") or ())
    warrant = judicial_warrant(doc)
    if action == "transfer_custody":
        lifted, what = warrant or judicial_order(doc), "a transfer"
    elif action == "share_information" and info & {*PERSONAL, *RELEASE, "criminal_history"}:
        lifted = warrant or judicial_order(doc) or criminal_history_exception(doc)
        what = "personal, release or criminal-history information"
    elif action in ("join_operation", "commit_resources"):
        lifted, what = warrant, action
    else:
        return None
    if lifted:
        return None
    if decision.get("outcome") == "deny":
        return []
    outcome, exceptions = decision.get("outcome"), sorted(rules(decision, "exceptions"))
    path = reach_path(doc)
    reason = f"{what} ({action}) reaches ICE-ERO/CBP/USCIS with no judicial basis: {outcome}"
    return [f"{reason} by {exceptions} | as {path}"]


def reach_path(doc: Input) -> str:
    """How the act reaches ICE-ERO, CBP or USCIS (for grouping counterexamples)."""
    cp = doc.get("counterpart") or {}
    paths = []
    if cp.get("agency") in CIVIL_ONLY:
        paths.append("counterpart")
    if set(cp.get("forwards_to") or ()) & set(CIVIL_ONLY):
        paths.append(f"forwarding by {cp.get('agency')}")
    if (doc.get("operation") or {}).get("partner") in CIVIL_ONLY:
        paths.append("partner")
    return " and ".join(paths)


def check_hold(doc: Input, decision: Decision, version: str | None) -> list[str] | None:
    """Invariant 2."""
    subject = doc.get("subject") or {}
    if not (
        doc.get("action") == "detain"
        and subject.get("in_custody") is True
        and subject.get("eligible_for_release") is True
        and on_civil_documents_alone(doc, version)
    ):
        return None
    if decision.get("outcome") == "allow":
        return ["a hold of a person eligible for release on civil documents alone is allowed"]
    return []


def check_stop(doc: Input, decision: Decision, version: str | None) -> list[str] | None:
    """Clarification "Stops" (BTA-ARR-01, BTA-2019): no stop, extended detention or arrest on
    civil documents alone. Not a numbered invariant; the same never-allow for the street."""
    subject = doc.get("subject") or {}
    stop = doc.get("action") == "detain" and subject.get("in_custody") is False
    if version != "BTA-2019" or not (stop or doc.get("action") == "arrest"):
        return None
    if not on_civil_documents_alone(doc, version):
        return None
    if decision.get("outcome") == "allow":
        return [f"{doc['action']} on civil documents alone is allowed"]
    return []


def check_input_faults(doc: Any, decision: Decision, label: str | None) -> list[str] | None:
    """Invariant 3: ``label`` names the malformation of a deliberately malformed input."""
    if label is not None:
        if decision.get("outcome") != "deny" or INPUT_RULE not in rules(decision):
            return [f"malformed input ({label}) not denied by {INPUT_RULE}"]
        return []
    version = period(doc)
    missing = missing_fact(doc, version) if isinstance(doc, dict) else None
    if missing is None:
        return None
    if decision.get("outcome") == "allow":
        return [f"allowed although it lacks {missing}"]
    return []


def check_status(doc: Input, decision: Decision, version: str | None) -> list[str] | None:
    """Invariant 4."""
    if (
        doc.get("action") != "share_information"
        or version in (None, "none")
        or not set(doc.get("information") or ()) & set(STATUS)
        or not recipients(doc) & set(IMMIGRATION)
    ):
        return None
    problems = []
    if decision.get("outcome") == "allow":
        problems.append("status or citizenship to an immigration authority is allowed")
    if "FED-1373-ESC" not in rules(decision, "escalations") and INPUT_RULE not in rules(decision):
        problems.append("status or citizenship to an immigration authority without FED-1373-ESC")
    return problems


def check_deputization(doc: Input, decision: Decision, version: str | None) -> list[str] | None:
    """Invariant 5."""
    if doc.get("action") != "perform_immigration_function" or version != "BTA-2019":
        return None
    if decision.get("outcome") != "deny":
        return [f"perform_immigration_function gets {decision.get('outcome')}"]
    return []


def check_decision(doc: Any, decision: Decision, label: str | None = None) -> dict[str, list[str]]:
    """Every single-decision invariant that applies: {invariant: reasons (empty: it holds)}."""
    found: dict[str, list[str] | None] = {
        "outcome": check_outcome(decision),
        "3": check_input_faults(doc, decision, label),
    }
    if label is None and isinstance(doc, dict):
        version = period(doc)
        found["1"] = check_reach(doc, decision, version)
        found["2"] = check_hold(doc, decision, version)
        found["2-stop"] = check_stop(doc, decision, version)
        found["4"] = check_status(doc, decision, version)
        found["5"] = check_deputization(doc, decision, version)
    return {k: v for k, v in found.items() if v is not None}


def check_pair(kind: str, base: Decision, variant: Decision, action: str = "") -> str | None:
    """Invariant 6 on one (base, variant) pair; ``kind`` names the change made.

    A base denied by a provision (a violation other than TP-INPUT-01) never becomes an
    allow, except where the allow is given only by an exception named for a purpose: the
    variant reports one of EXC-VISA-CERT, EXC-CONSULAR-NOTICE, EXC-CRIMINAL-HISTORY, and
    every exception it reports that the base did not is one of them.
    """
    if base.get("outcome") != "deny" or not provision_violations(base):
        return None
    if variant.get("outcome") != "allow":
        return None
    new = rules(variant, "exceptions") - rules(base, "exceptions")
    if new and new <= PURPOSE_NAMED:
        return None
    return (f"{kind} ({action}): denied by {sorted(provision_violations(base))} becomes an "
            f"allow (new exceptions {sorted(new)})")  # fmt: skip


class Tally:
    """Counts per invariant, and the first counterexamples of each in full."""

    def __init__(self) -> None:
        self.checked: dict[str, int] = {}
        self.failed: dict[str, int] = {}
        self.examples: dict[str, list[str]] = {}
        #: Per invariant: {reason: [count, first input]}, to group counterexamples by kind.
        self.kinds: dict[str, dict[str, list[Any]]] = {}

    def count(self, invariant: str, n: int = 1) -> None:
        self.checked[invariant] = self.checked.get(invariant, 0) + n

    def fail(self, invariant: str, reason: str, **docs: Any) -> None:
        self.failed[invariant] = self.failed.get(invariant, 0) + 1
        kinds = self.kinds.setdefault(invariant, {})
        kind = reason.split(" | ", maxsplit=1)[0]  # what follows " | " is detail, not the kind
        if kind in kinds:
            kinds[kind][0] += 1
        elif len(kinds) < KINDS_KEPT:
            first = docs.get("variant", docs.get("input"))
            kinds[kind] = [1, json.dumps(first, sort_keys=True, separators=(",", ":"))]
        kept = self.examples.setdefault(invariant, [])
        if len(kept) < EXAMPLES_KEPT:
            body = "\n".join(f"  {name}: {json.dumps(value, sort_keys=True)}"
                             for name, value in docs.items())  # fmt: skip
            kept.append(f"- {reason}\n{body}")

    def report(self) -> str:
        lines = [
            f"invariant {inv}: {self.checked.get(inv, 0)} checked, {self.failed.get(inv, 0)} failed"
            for inv in sorted(set(self.checked) | set(self.failed))
        ]
        for inv in sorted(self.kinds):
            lines.append(f"\n== invariant {inv}: counterexamples by kind (count, first input)")
            for reason, (n, first) in sorted(self.kinds[inv].items(), key=lambda kv: -kv[1][0]):
                lines.append(f"- {n} x {reason}\n    {first}")
        for inv in sorted(self.examples):
            lines.append(f"\n== invariant {inv}: first {len(self.examples[inv])} counterexamples")
            lines.extend(self.examples[inv])
        return "\n".join(lines)
