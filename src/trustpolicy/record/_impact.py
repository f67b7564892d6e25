"""Impact analysis: replay stored decisions through a candidate bundle and compare.

Every stored decision (of ``trustpolicy/decision``, or one request of a batch) is asked
again, with its logged (masked) input, of a real OPA serving the candidate bundle (its
signature verified when a key is given), in batches; identical inputs are asked once. A
logged input without ``occurred_at`` is replayed at the event's own timestamp, so the
replay applies the law of the day the decision was made and, on the same bundle, gives
the same answer (the tests prove it).
``as_of`` replays every input under the law of another day instead.

The result, :class:`Impact`, counts the outcomes before and after and keeps every changed
decision with the rules it gained and lost; :mod:`trustpolicy.record._impact_report`
renders it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs
import requests

from trustpolicy.contract._errors import EngineError, EngineUnavailable
from trustpolicy.contract._times import rfc3339
from trustpolicy.engine._engine import LocalOPA

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from pathlib import Path

    from trustpolicy.record._store import DecisionStore, LoggedDecision

__all__ = ["Impact", "ReplayedDecision", "replay_decisions"]

BOSTON = ZoneInfo("America/New_York")
#: The paths OPA logs for decisions: the entry point, and the batch query, each of whose
#: requests the collector stores as its own decision (its own input and result).
DECISION_PATHS = frozenset({"trustpolicy/decision", "trustpolicy/batch"})
_LISTS = ("violations", "exceptions", "escalations", "obligations")
_INPUT_RULE = "TP-INPUT-01"
#: How many answers are kept to reuse for identical inputs in later months.
_CACHE = 50_000
#: The first month a stored decision can fall in (the oldest law encoded: US-1373).
_FIRST = dt.datetime(1996, 9, 1, tzinfo=dt.UTC)


@attrs.frozen
class ReplayedDecision:
    """One stored decision and its replay: outcome and rule ids, before and after."""

    decision_id: str
    timestamp: dt.datetime
    action: str | None
    district: str | None
    before: str | None
    after: str
    before_rules: frozenset[str]
    after_rules: frozenset[str]

    @property
    def changed(self) -> bool:
        """Whether the outcome or any rule differs."""
        return self.before != self.after or self.before_rules != self.after_rules

    @property
    def gained(self) -> frozenset[str]:
        """Rules the replay names that the stored decision did not."""
        return self.after_rules - self.before_rules

    @property
    def lost(self) -> frozenset[str]:
        """Rules the stored decision named that the replay does not."""
        return self.before_rules - self.after_rules

    @property
    def month(self) -> str:
        """The month of the decision in Boston, ``YYYY-MM``."""
        return self.timestamp.astimezone(BOSTON).strftime("%Y-%m")

    @property
    def was_malformed(self) -> bool:
        """The stored decision was TP-INPUT-01: the mask may have dropped the bad value."""
        return _INPUT_RULE in self.before_rules


@attrs.frozen
class Impact:
    """What replaying the stored decisions through a candidate bundle changes."""

    bundle: str
    revision: str | None
    as_of: dt.datetime | None
    year: int | None
    stored: int
    skipped: int
    before: Mapping[str, int]
    after: Mapping[str, int]
    changes: tuple[ReplayedDecision, ...]
    seconds: float
    asked: int = 0  # distinct inputs asked of the engine (identical ones are asked once)

    @property
    def replayed(self) -> int:
        """How many stored decisions were replayed."""
        return sum(self.after.values())

    @property
    def unchanged(self) -> int:
        """How many replayed decisions came out identical (outcome and rule ids)."""
        return self.replayed - len(self.changes)

    def by_provision(self) -> dict[str, tuple[int, int]]:
        """For each rule id: how many changed decisions gained it, and how many lost it."""
        gained = Counter(r for c in self.changes for r in c.gained)
        lost = Counter(r for c in self.changes for r in c.lost)
        return {rule: (gained[rule], lost[rule]) for rule in sorted(gained | lost)}

    def by(self, key: str) -> dict[str, Counter[str]]:
        """Changed decisions by ``district``, ``action`` or ``month``: transitions counted."""
        out: dict[str, Counter[str]] = {}
        for change in self.changes:
            group = getattr(change, key) or "(not given)"
            out.setdefault(group, Counter())[transition(change)] += 1
        return dict(sorted(out.items()))

    def transitions(self) -> Counter[str]:
        """How many changed decisions went from one outcome to another (``deny → allow``)."""
        return Counter(transition(c) for c in self.changes)


def transition(change: ReplayedDecision) -> str:
    """``before → after`` (the same outcome twice when only the rules changed)."""
    return f"{change.before or 'none'} → {change.after}"


def replay_input(logged: LoggedDecision, as_of: dt.datetime | None = None) -> dict[str, Any]:
    """The input to replay: the logged input, at ``as_of`` or else when it was decided.

    The input keeps its own ``occurred_at``; without one, the decision applied the law of
    the moment it was made, which is the event's timestamp.
    """
    doc = dict(logged.input)
    if as_of is not None:
        doc["occurred_at"] = rfc3339(as_of)
    elif "occurred_at" not in doc:
        doc["occurred_at"] = rfc3339(logged.timestamp)
    return doc


def _rules(result: Mapping[str, Any] | None) -> frozenset[str]:
    if not result:
        return frozenset()
    return frozenset(
        str(e["rule"])
        for kind in _LISTS
        for e in result.get(kind) or ()
        if isinstance(e, dict) and "rule" in e
    )


def _replayable(logged: LoggedDecision) -> bool:
    result = logged.result
    return (
        logged.path.strip("/") in DECISION_PATHS
        and "requests" not in logged.input  # a whole batch stored as one row: no single input
        and isinstance(result, dict)
        and result.get("outcome") in {"allow", "deny", "escalate"}
    )


def _months(year: int | None) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Month windows (Boston) of ``year``, or from the oldest law to next month."""
    if year is not None:
        start, stop = (
            dt.datetime(year, 1, 1, tzinfo=BOSTON),
            dt.datetime(year + 1, 1, 1, tzinfo=BOSTON),
        )
    else:
        now = dt.datetime.now(BOSTON)
        start = _FIRST.astimezone(BOSTON).replace(day=1, hour=0, minute=0, second=0)
        stop = dt.datetime(now.year + 1, 1, 1, tzinfo=BOSTON)
    while start < stop:
        following = dt.datetime(
            start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=BOSTON
        )
        yield start, min(following, stop)
        start = following


class _Engine:
    """The batch entry point of one OPA; each call opens its own session (thread-safe)."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = f"{url}/v1/data/trustpolicy/batch"
        self.timeout = timeout

    def decide(self, inputs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        try:
            with requests.Session() as session:
                session.trust_env = False
                answer = session.post(
                    self.url, json={"input": {"requests": list(inputs)}}, timeout=self.timeout
                )
        except requests.RequestException as exc:
            raise EngineUnavailable(f"replay: {exc}", url=self.url) from exc
        if answer.status_code != 200:  # noqa: PLR2004
            raise EngineError(
                "replay failed",
                url=self.url,
                status=answer.status_code,
                engine_message=answer.text[:300],
            )
        try:
            results = answer.json().get("result")
        except (ValueError, AttributeError) as exc:
            raise EngineError(
                f"replay: the engine's answer is not JSON: {exc}", url=self.url
            ) from exc
        if not isinstance(results, list) or len(results) != len(inputs):
            raise EngineError("replay: the engine gave no decision for every input", url=self.url)
        for result in results:
            if not isinstance(result, dict) or result.get("outcome") not in {
                "allow",
                "deny",
                "escalate",
            }:
                raise EngineError(
                    "replay: the engine gave something that is not a decision", url=self.url
                )
        return results


def replay_decisions(
    store: DecisionStore,
    bundle: Path,
    *,
    verification_key: Path | None = None,
    key_id: str | None = None,
    as_of: dt.datetime | None = None,
    year: int | None = None,
    batch_size: int = 500,
    workers: int = 2,
    progress: Callable[[int, int | None], None] | None = None,
    timeout: float = 120.0,
) -> Impact:
    """Replay the stored decisions (of ``year``, in Boston, if given) through ``bundle``.

    The candidate runs in a :class:`LocalOPA` on loopback without decision logs; with
    ``verification_key`` OPA refuses a bundle whose signature does not verify (without one,
    the signature is not checked). ``progress`` is called after each batch with the number
    replayed so far and the number stored (the whole store; ``None`` for a single year).
    """
    started = time.monotonic()
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    changes: list[ReplayedDecision] = []
    stored = skipped = done = asked = 0
    answers: dict[str, Mapping[str, Any]] = {}  # by canonical input, across months
    total = store.count() if year is None else None
    opa = LocalOPA(
        bundle=bundle,
        verification_key=verification_key,
        verification_key_id=key_id if verification_key is not None else None,
        decision_logs=False,
        # Without a key the candidate is replayed as it is, signed or not: a dry run.
        extra_args=() if verification_key is not None else ("--skip-verify",),
    )
    with opa, ThreadPoolExecutor(max_workers=workers) as pool:
        engine = _Engine(opa.url, timeout)
        revision: str | None = None
        for since, until in _months(year):
            logged = store.decisions(since=since, until=until)
            stored += len(logged)
            todo = [d for d in logged if _replayable(d)]
            skipped += len(logged) - len(todo)
            # Identical inputs (occurred_at included) get identical answers: ask each once.
            docs = [replay_input(d, as_of) for d in todo]
            keys = [json.dumps(doc, sort_keys=True, separators=(",", ":")) for doc in docs]
            distinct: dict[str, dict[str, Any]] = {}
            for key, doc in zip(keys, docs, strict=True):
                distinct.setdefault(key, doc)
            rows = Counter(keys)
            if len(answers) > _CACHE:
                answers.clear()  # bounded: the answers of earlier months are only a shortcut
            unique = [k for k in distinct if k not in answers]
            chunks = [unique[i : i + batch_size] for i in range(0, len(unique), batch_size)]
            asks = ([distinct[k] for k in chunk] for chunk in chunks)
            done += sum(rows[k] for k in distinct if k in answers)
            for chunk, results in zip(chunks, pool.map(engine.decide, asks), strict=True):
                answers.update(zip(chunk, results, strict=True))
                done += sum(rows[k] for k in chunk)
                if progress is not None:
                    progress(done, total)
            if todo and not chunks and progress is not None:  # every answer known already
                progress(done, total)
            asked += len(unique)
            for old, key in zip(todo, keys, strict=True):
                new = answers[key]
                revision = revision or _revision(new)
                replayed = _compare(old, new)
                before[str(replayed.before)] += 1
                after[replayed.after] += 1
                if replayed.changed:
                    changes.append(replayed)
    if year is None:  # anything stamped outside the months of the law (a clock gone wrong)
        outside = store.count() - stored
        stored, skipped = stored + outside, skipped + outside
    return Impact(
        bundle=str(bundle),
        revision=revision,
        as_of=as_of,
        year=year,
        stored=stored,
        skipped=skipped,
        before=dict(before),
        after=dict(after),
        changes=tuple(changes),
        seconds=time.monotonic() - started,
        asked=asked,
    )


def _compare(old: LoggedDecision, new: Mapping[str, Any]) -> ReplayedDecision:
    actor = old.input.get("actor")
    district = actor.get("district") if isinstance(actor, dict) else None
    action = old.input.get("action")
    return ReplayedDecision(
        decision_id=old.decision_id,
        timestamp=old.timestamp,
        action=action if isinstance(action, str) else None,
        district=district if isinstance(district, str) else None,
        before=old.outcome,
        after=str(new["outcome"]),
        before_rules=_rules(old.result),
        after_rules=_rules(new),
    )


def _revision(result: Mapping[str, Any]) -> str | None:
    """The candidate's bundle revision, as its decisions name it."""
    policy = result.get("policy")
    revision = policy.get("revision") if isinstance(policy, dict) else None
    return revision if isinstance(revision, str) else None
