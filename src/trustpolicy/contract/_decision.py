"""Value objects: the decision document the engine returns.

:class:`Decision` mirrors section 4 of the contract and is parsed strictly (unknown extra
keys are fine); each entry of its lists is a :class:`Finding`.
"""

from __future__ import annotations

import enum
from typing import Any, cast

import attrs

from trustpolicy.contract._errors import InvalidRequest

__all__ = ["Decision", "Finding", "Outcome"]


# -- the decision document ------------------------------------------------------------------


class Outcome(enum.StrEnum):
    """The derived outcome: any violation denies; else any escalation escalates."""

    ALLOW = "allow"
    DENY = "deny"
    ESCALATE = "escalate"


#: The fail-closed rule a client reports when the engine gives no usable decision.
ENGINE_RULE = "TP-ENGINE-01"
_LISTS = ("violations", "exceptions", "escalations", "obligations")
_OPTIONAL_TEXT = ("title", "citation", "confidence")


@attrs.frozen
class Finding:
    """One entry of a decision list: the provision (``rule``) and what it says here.

    ``lifts`` names the provisions an exception lifted (empty for other entries).
    """

    rule: str
    message: str
    title: str | None = None
    citation: str | None = None
    confidence: str | None = None
    lifts: tuple[str, ...] = ()


@attrs.frozen
class Decision:
    """The engine's answer: the outcome and the provisions that gave it.

    ``allowed`` is true only when ``outcome`` is ``allow``; a decision that says otherwise
    is never built.
    """

    outcome: Outcome
    allowed: bool
    violations: tuple[Finding, ...] = ()
    exceptions: tuple[Finding, ...] = ()
    escalations: tuple[Finding, ...] = ()
    obligations: tuple[Finding, ...] = ()
    policy_revision: str | None = None
    decision_id: str | None = None

    @classmethod
    def from_result(cls, result: object, *, decision_id: str | None = None) -> Decision:
        """Parse ``data.trustpolicy.decision``; raise InvalidRequest if it is not one."""
        if not isinstance(result, dict):
            kind = "undefined" if result is None else type(result).__name__
            raise InvalidRequest(
                [f"result: must be a decision object, got {kind}"], what="decision"
            )
        problems: list[str] = []
        outcome = result.get("outcome")
        if not isinstance(outcome, str) or outcome not in Outcome._value2member_map_:
            problems.append(f"outcome: must be one of allow, deny, escalate, got {outcome!r}")
        allowed = result.get("allowed")
        if not isinstance(allowed, bool):
            problems.append("allowed: must be true or false")
        elif allowed != (outcome == Outcome.ALLOW):
            problems.append(f"allowed: is {allowed} while outcome is {outcome!r}")
        lists = _parse_lists(result, problems)
        if lists.get("violations") and outcome != Outcome.DENY:
            problems.append(f"outcome: is {outcome!r} although there are violations")
        if lists.get("escalations") and outcome == Outcome.ALLOW:
            problems.append("outcome: is 'allow' although there are escalations")
        revision = _parse_revision(result, problems)
        if problems:
            raise InvalidRequest(problems, what="decision")
        return cls(
            outcome=Outcome(cast("str", outcome)),
            allowed=cast("bool", allowed),
            policy_revision=revision,
            decision_id=decision_id,
            **lists,
        )

    @classmethod
    def engine_failure(cls, reason: str) -> Decision:
        """Build the fail-closed deny (rule ``TP-ENGINE-01``) used when no decision can be had."""
        finding = Finding(
            rule=ENGINE_RULE,
            title="No decision from the policy engine",
            message=(
                f"The policy engine gave no usable decision ({reason}). "
                "Do not act until a decision is available."
            ),
            citation="trustpolicy fail-closed rule TP-ENGINE-01",
            confidence="engine",
        )
        return cls(outcome=Outcome.DENY, allowed=False, violations=(finding,))

    @property
    def rules(self) -> frozenset[str]:
        """Every rule id named anywhere in the decision."""
        return frozenset(
            f.rule
            for f in (*self.violations, *self.exceptions, *self.escalations, *self.obligations)
        )

    def explain(self) -> str:
        """Plain sentences for an officer's screen: the answer first, then the reasons."""
        head = {
            Outcome.ALLOW: "Allowed.",
            Outcome.DENY: "Not allowed.",
            Outcome.ESCALATE: "Stop: this needs legal review before anyone acts.",
        }[self.outcome]
        lines = [head]
        sections = (
            ("Not allowed", self.violations),
            ("Legal review", self.escalations),
            ("Exception applied", self.exceptions),
            ("Required", self.obligations),
        )
        for label, findings in sections:
            lines.extend(f"{label}: {_sentence(f)}" for f in findings)
        return "\n".join(lines)


def _parse_finding(entry: object, where: str, problems: list[str]) -> Finding | None:
    if not isinstance(entry, dict):
        problems.append(f"{where}: must be an object")
        return None
    wrong = [k for k in ("rule", "message") if not isinstance(entry.get(k), str)]
    wrong += [k for k in (*_OPTIONAL_TEXT, "lifts") if k in entry and not isinstance(entry[k], str)]
    problems.extend(f"{where}.{k}: must be a string" for k in wrong)
    lifted = entry.get("lifted")
    if lifted is not None and not (
        isinstance(lifted, list) and all(isinstance(x, str) for x in lifted)
    ):
        problems.append(f"{where}.lifted: must be a list of strings")
        return None
    if wrong:
        return None
    if lifted is None:
        lifted = [x.strip() for x in entry.get("lifts", "").split(",") if x.strip()]
    return Finding(
        rule=entry["rule"],
        message=entry["message"],
        title=entry.get("title"),
        citation=entry.get("citation"),
        confidence=entry.get("confidence"),
        lifts=tuple(lifted),
    )


def _parse_lists(result: dict[str, Any], problems: list[str]) -> dict[str, tuple[Finding, ...]]:
    lists: dict[str, tuple[Finding, ...]] = {}
    for key in _LISTS:
        entries = result.get(key)
        if not isinstance(entries, list):
            problems.append(f"{key}: must be a list")
            continue
        parsed = [_parse_finding(e, f"{key}[{i}]", problems) for i, e in enumerate(entries)]
        lists[key] = tuple(f for f in parsed if f is not None)
    return lists


def _parse_revision(result: dict[str, Any], problems: list[str]) -> str | None:
    policy = result.get("policy")
    if policy is None:
        return None
    revision = policy.get("revision") if isinstance(policy, dict) else policy
    if revision is not None and not isinstance(revision, str):
        problems.append("policy.revision: must be a string")
        return None
    return revision


def _sentence(finding: Finding) -> str:
    source = ", ".join(x for x in (finding.rule, finding.citation) if x)
    text = f"{finding.message.rstrip()} ({source})"
    if finding.confidence == "interpretation":
        text += " This rests on an interpretation that still needs legal sign-off."
    return text
