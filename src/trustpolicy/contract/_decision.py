"""Value objects: the decision document the engine returns.

:class:`Decision` mirrors section 4 of the contract and is parsed strictly (unknown extra
keys are fine); each entry of its lists is a :class:`Finding` naming the :class:`Version`
of the law it comes from, and :class:`Law` says which day's law was applied.
:meth:`Decision.to_dict` gives the document back.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import TYPE_CHECKING, Any, Literal, cast

import attrs

from trustpolicy.contract._errors import InvalidRequest, Problem

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["Confidence", "Decision", "Finding", "Law", "Outcome", "Version"]


# -- the decision document ------------------------------------------------------------------


class Outcome(enum.StrEnum):
    """The derived outcome: any violation denies; else any escalation escalates."""

    ALLOW = "allow"
    DENY = "deny"
    ESCALATE = "escalate"


class Confidence(enum.StrEnum):
    """How firmly a rule rests on the law's text (contract section 1)."""

    TEXT = "text"
    REPORTED = "reported"
    INTERPRETATION = "interpretation"
    ENGINE = "engine"


class Version(enum.StrEnum):
    """A version of the law in force (contract section 2, Versions in force).

    ``ENGINE`` marks the engine's own rules (TP-INPUT-01, TP-ENGINE-01), which are no law.
    """

    US_1373 = "US-1373"
    BTA_2014 = "BTA-2014"
    MA_LUNN = "MA-LUNN"
    BTA_2019 = "BTA-2019"
    ENGINE = "engine"


ConfidenceValue = Literal["text", "reported", "interpretation", "engine"]
VersionValue = Literal["US-1373", "BTA-2014", "MA-LUNN", "BTA-2019", "engine"]


def _opt_confidence(v: Confidence | ConfidenceValue | None) -> Confidence | None:
    return None if v is None else Confidence(v)


def _opt_version(v: Version | VersionValue | None) -> Version | None:
    return None if v is None else Version(v)


def _versions(v: Iterable[Version | VersionValue]) -> tuple[Version, ...]:
    return tuple(Version(x) for x in v)


def _opt_date(v: dt.date | str | None) -> dt.date | None:
    return dt.date.fromisoformat(v) if isinstance(v, str) else v


def _problems(v: Iterable[Problem | str]) -> tuple[Problem, ...]:
    return tuple(Problem.parse(p) for p in v)


@attrs.frozen
class Law:
    """The law a decision applied: the day of the act in Boston and the versions in force.

    ``date`` is ``None`` (and ``versions`` empty) when the engine could not tell the day,
    for example because ``occurred_at`` was malformed or before the oldest law encoded.
    """

    date: dt.date | None = attrs.field(default=None, converter=_opt_date)
    versions: tuple[Version, ...] = attrs.field(default=(), converter=_versions)

    def to_dict(self) -> dict[str, Any]:
        """The ``law`` block of the decision document."""
        return {
            "date": None if self.date is None else self.date.isoformat(),
            "versions": [v.value for v in self.versions],
        }


#: The fail-closed rule a client reports when the engine gives no usable decision.
ENGINE_RULE = "TP-ENGINE-01"
_LISTS = ("violations", "exceptions", "escalations", "obligations")
_OPTIONAL_TEXT = ("title", "citation", "confidence")


@attrs.frozen
class Finding:
    """One entry of a decision list: the provision (``rule``) and what it says here.

    ``version`` is the version of the law it comes from; ``lifts`` names the provisions an
    exception lifted (empty for other entries); ``problems`` lists, for TP-INPUT-01, every
    problem with the request by field path.
    """

    rule: str
    message: str
    title: str | None = None
    citation: str | None = None
    confidence: Confidence | None = attrs.field(default=None, converter=_opt_confidence)
    lifts: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    version: Version | None = attrs.field(default=None, converter=_opt_version)
    problems: tuple[Problem, ...] = attrs.field(default=(), converter=_problems)

    def to_dict(self, *, exception: bool = False) -> dict[str, Any]:
        """The entry as the decision document has it (``lifts``/``lifted`` for an exception)."""
        entry: dict[str, Any] = {"rule": self.rule}
        for key in ("title", "citation"):
            value = getattr(self, key)
            if value is not None:
                entry[key] = value
        entry["message"] = self.message
        if self.confidence is not None:
            entry["confidence"] = self.confidence.value
        if self.version is not None:
            entry["version"] = self.version.value
        if exception or self.lifts:
            entry["lifts"] = ", ".join(self.lifts)
            entry["lifted"] = list(self.lifts)
        if self.problems:
            entry["problems"] = [str(p) for p in self.problems]
        return entry


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
    law: Law = Law()

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
        law = _parse_law(result.get("law"), problems)
        if problems:
            raise InvalidRequest(problems, what="decision")
        return cls(
            outcome=Outcome(cast("str", outcome)),
            allowed=cast("bool", allowed),
            policy_revision=revision,
            decision_id=decision_id,
            law=law,
            **lists,
        )

    def to_dict(self) -> dict[str, Any]:
        """The decision document of the contract (section 4), plus ``decision_id`` if known.

        ``Decision.from_result(d.to_dict(), decision_id=d.decision_id) == d``.
        """
        doc: dict[str, Any] = {
            "outcome": self.outcome.value,
            "allowed": self.allowed,
            "violations": [f.to_dict() for f in self.violations],
            "exceptions": [f.to_dict(exception=True) for f in self.exceptions],
            "escalations": [f.to_dict() for f in self.escalations],
            "obligations": [f.to_dict() for f in self.obligations],
            "policy": {"revision": self.policy_revision},
            "law": self.law.to_dict(),
        }
        if self.decision_id is not None:
            doc["decision_id"] = self.decision_id
        return doc

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every entry: violations, exceptions, escalations, then obligations."""
        return (*self.violations, *self.exceptions, *self.escalations, *self.obligations)

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
            confidence=Confidence.ENGINE,
            version=Version.ENGINE,
        )
        return cls(outcome=Outcome.DENY, allowed=False, violations=(finding,))

    @property
    def rules(self) -> frozenset[str]:
        """Every rule id named anywhere in the decision."""
        return frozenset(f.rule for f in self.findings)

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
    bad = len(problems)
    for key, kind in (("confidence", Confidence), ("version", Version)):
        value = entry.get(key)
        if (
            key not in wrong
            and value is not None
            and not (isinstance(value, str) and value in kind._value2member_map_)
        ):
            choices = ", ".join(m.value for m in kind)
            problems.append(f"{where}.{key}: must be one of {choices}, got {value!r}")
    for key in ("lifted", "problems"):
        value = entry.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(x, str) for x in value)
        ):
            problems.append(f"{where}.{key}: must be a list of strings")
    if wrong or len(problems) > bad:
        return None
    lifted = entry.get("lifted")
    if lifted is None:
        lifted = [x.strip() for x in entry.get("lifts", "").split(",") if x.strip()]
    return Finding(
        rule=entry["rule"],
        message=entry["message"],
        title=entry.get("title"),
        citation=entry.get("citation"),
        confidence=entry.get("confidence"),
        lifts=tuple(lifted),
        version=entry.get("version"),
        problems=entry.get("problems", ()),
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


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LAW_VERSIONS = frozenset(v.value for v in Version if v is not Version.ENGINE)


def _parse_day(date: object, problems: list[str]) -> dt.date | None:
    if date is None:
        return None
    if isinstance(date, str) and _DATE.fullmatch(date):
        try:
            return dt.date.fromisoformat(date)
        except ValueError:
            pass
    problems.append(f"law.date: must be a YYYY-MM-DD date or null, got {date!r}")
    return None


def _parse_law(law: object, problems: list[str]) -> Law:
    if law is None:
        return Law()  # an engine older than contract revision 2 says nothing of the law
    if not isinstance(law, dict):
        problems.append("law: must be an object with date and versions")
        return Law()
    day = _parse_day(law.get("date"), problems)
    versions = law.get("versions")
    if not isinstance(versions, list) or not all(
        isinstance(v, str) and v in _LAW_VERSIONS for v in versions
    ):
        choices = ", ".join(sorted(_LAW_VERSIONS))
        problems.append(f"law.versions: must be a list of {choices}, got {versions!r}")
        return Law()
    return Law(date=day, versions=cast("list[VersionValue]", versions))


def _sentence(finding: Finding) -> str:
    source = ", ".join(x for x in (finding.rule, finding.citation) if x)
    text = f"{finding.message.rstrip()} ({source})"
    if finding.confidence == "interpretation":
        text += " This rests on an interpretation that still needs legal sign-off."
    return text
