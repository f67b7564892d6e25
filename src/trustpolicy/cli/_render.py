"""Decisions as documents and as sentences: what the command line and the demo print.

:func:`decision_document` gives back the contract's decision document (section 4) for a
:class:`Decision`; :func:`describe_request` says in one sentence what was asked, and
:func:`explain` puts both together for a person who reads rather than parses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trustpolicy.contract._decision import Decision, Finding
    from trustpolicy.contract._models import DecisionRequest

__all__ = ["decision_document", "describe_request", "explain", "law_line", "rule_summary"]

_ACTIONS = {
    "inquire_status": "ask about or look up the immigration or citizenship status",
    "detain": "hold the person",
    "arrest": "arrest or stop the person",
    "transfer_custody": "transfer the person to another agency",
    "share_information": "share information",
    "commit_resources": "commit city resources",
    "perform_immigration_function": "perform an immigration officer's function",
    "join_operation": "join an operation",
    "receive_detainer": "receive a detainer request",
}


def decision_document(decision: Decision) -> dict[str, Any]:
    """Return the decision document of the contract (plus ``decision_id`` when known)."""
    return decision.to_dict()


def _words(value: str) -> str:
    return value.replace("_", " ")


def describe_request(request: DecisionRequest) -> str:
    """One sentence: who asks to do what, to whom, with whom, on what authority, and why."""
    actor = request.actor
    who = f"A {actor.agency} {_words(actor.role.value)}"
    if actor.district:
        who += f" (district {actor.district})"
    text = f"{who} wants to {_ACTIONS.get(request.action.value, _words(request.action.value))}"
    if request.information:
        text += f" ({', '.join(_words(i.value) for i in request.information)})"
    if request.subject is not None:
        role = request.subject.role  # optional in the contract: then just "a person"
        text += f" of a {_words(role.value) if role is not None else 'person'}"
    if request.counterpart is not None:
        text += f", with {request.counterpart.agency.value}"
        if request.counterpart.forwards_to:
            forwards = ", ".join(a.value for a in request.counterpart.forwards_to)
            text += f" (which forwards to {forwards})"
    if request.purpose is not None:
        text += f", for {_words(request.purpose.value)}"
    if request.authority:
        docs = ", ".join(
            _words(a.type.value) + (f" from a {_words(a.issued_by.value)}" if a.issued_by else "")
            for a in request.authority
        )
        text += f", presenting: {docs}"
    if request.criminal_case is not None:
        text += f", in criminal case {request.criminal_case.id}"
    return text + "."


def _line(finding: Finding) -> str:
    details = "; ".join(
        x
        for x in (
            finding.citation,
            f"confidence: {finding.confidence}" if finding.confidence else None,
            f"version: {finding.version}" if finding.version else None,
            f"lifts {', '.join(finding.lifts)}" if finding.lifts else None,
        )
        if x
    )
    title = f" {finding.title}." if finding.title else ""
    return f"  - {finding.rule}:{title} {finding.message.strip()} ({details})"


def explain(request: DecisionRequest, decision: Decision) -> str:
    """Plain sentences: what was asked, the answer, and every provision behind it."""
    lines = [f"Asked: {describe_request(request)}", f"Answer: {decision.explain().splitlines()[0]}"]
    sections = (
        ("Provisions that forbid it", decision.violations),
        ("Needs legal review", decision.escalations),
        ("Exceptions that applied", decision.exceptions),
        ("Must be recorded", decision.obligations),
    )
    for label, findings in sections:
        if findings:
            lines.append(f"{label}:")
            lines.extend(_line(f) for f in findings)
    if not any(findings for _, findings in sections):
        lines.append("No provision of the Trust Act applies to this request.")
    if any(f.confidence == "interpretation" for _, fs in sections for f in fs):
        lines.append("Part of this answer rests on an interpretation that needs legal sign-off.")
    lines.append(law_line(decision))
    if decision.policy_revision:
        lines.append(f"Policy revision: {decision.policy_revision}")
    return "\n".join(lines)


def law_line(decision: Decision) -> str:
    """The day whose law was applied and the versions then in force, in one line."""
    law = decision.law
    if law.date is None:
        return "Law applied: none (the engine could not tell the day of the act)."
    versions = ", ".join(v.value for v in law.versions)
    return f"Law applied: in force on {law.date.isoformat()} ({versions})."


def rule_summary(decision: Decision) -> str:
    """Return the rule IDs of a decision in one line: ``BTA-INFO-01 esc:FED-1373-ESC``."""
    parts = [f.rule for f in decision.violations]
    parts += [f"esc:{f.rule}" for f in decision.escalations]
    parts += [f"exc:{f.rule}" for f in decision.exceptions]
    parts += [f"rec:{f.rule}" for f in decision.obligations]
    return " ".join(parts) or "-"
