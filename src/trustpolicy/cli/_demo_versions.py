"""The demo's law-in-force part: the Tara Construction steps as of March 2017 and as of today.

Each step is asked twice of an OPA on the same signed bundle that does not log (these are
what-if questions, not acts to report): once with ``occurred_at`` in March 2017, when the
2014 Trust Act covered only holds on civil detainer requests and *Lunn* (July 2017) was not
yet decided, and once under today's law. One sentence per step says what changed and which
version of the law brought it. Then the demo's own logged decisions are replayed under the
law of 15 March 2017 (``impact``), and that report is written beside the annual report.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import TYPE_CHECKING

from trustpolicy.cli._demo_cases import DemoCase, tara_construction
from trustpolicy.client._client import Client
from trustpolicy.contract._models import DecisionRequest
from trustpolicy.engine._engine import LocalOPA
from trustpolicy.record._impact import BOSTON, replay_decisions
from trustpolicy.record._impact_report import impact_report

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from trustpolicy.contract._decision import Decision
    from trustpolicy.record._store import DecisionStore

__all__ = ["MARCH_2017", "then_and_now", "then_and_now_steps", "write_impact_of_2017"]

#: When the Tara Construction events are dated: a weekday in March 2017 (EDT, -04:00).
MARCH_2017 = dt.datetime(2017, 3, 15, 10, 0, tzinfo=BOSTON)
_WIDTH = 100
_HOLD = {"role": "arrestee", "in_custody": True, "eligible_for_release": True}
_DETECTIVE = {"agency": "BPD", "role": "police_officer", "district": "D-4"}
_ERO = {"agency": "ICE-ERO"}
_NAMES = {
    "BTA-2019": "the 2019 amendment (BTA-2019)",
    "MA-LUNN": "Lunn v. Commonwealth of July 2017 (MA-LUNN)",
    "BTA-2014": "the 2014 Act (BTA-2014)",
    "US-1373": "8 U.S.C. § 1373 (US-1373)",
}


def then_and_now_steps() -> tuple[DemoCase, ...]:
    """The Tara steps (T1-T6), worked examples 10 and 11 (T7, T8), the detainer and hold steps."""
    hold_steps = (
        DemoCase(
            "H1",
            "ICE-ERO faxes a detainer (I-247A) for the worker after an arrest; it is received",
            {
                "action": "receive_detainer",
                "actor": _DETECTIVE,
                "subject": {"role": "arrestee", "in_custody": True},
                "counterpart": _ERO,
                "authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}],
                "detainer": {"form": "I-247A", "received_via": "fax"},
            },
        ),
        DemoCase(
            "H2",
            "The charge is dropped; hold him 48 hours more on the detainer",
            {
                "action": "detain",
                "actor": _DETECTIVE,
                "subject": _HOLD,
                "counterpart": _ERO,
                "authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}],
                "purpose": "civil_immigration_enforcement",
            },
        ),
        DemoCase(
            "H3",
            "Hold him on an ICE administrative warrant (I-200) instead",
            {
                "action": "detain",
                "actor": _DETECTIVE,
                "subject": _HOLD,
                "counterpart": _ERO,
                "authority": [{"type": "ice_administrative_warrant", "issued_by": "ice_officer"}],
                "purpose": "civil_immigration_enforcement",
            },
        ),
        DemoCase(
            "H4",
            "Tell ICE-ERO when he will be released",
            {
                "action": "share_information",
                "actor": _DETECTIVE,
                "subject": {"role": "arrestee", "in_custody": True},
                "counterpart": _ERO,
                "information": ["release_date"],
                "purpose": "civil_immigration_enforcement",
            },
        ),
        DemoCase(
            "H5",
            "Hand him over to ICE-ERO at release",
            {
                "action": "transfer_custody",
                "actor": _DETECTIVE,
                "subject": _HOLD,
                "counterpart": _ERO,
                "authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}],
                "purpose": "civil_immigration_enforcement",
            },
        ),
    )
    tara = tara_construction()
    forward = tara[1].input
    examples = (
        DemoCase("T7", "Worked example 10: the name and the hit go to ICE-ERO", forward),
        DemoCase(
            "T8",
            "Worked example 11: the same, claiming a criminal purpose",
            forward | {"purpose": "criminal_investigation"},
        ),
    )
    return (*tara, *examples, *hold_steps)


def _rules(decision: Decision) -> str:
    return ", ".join(sorted(decision.rules)) or "no provision"


def _answer(decision: Decision) -> str:
    return f"{decision.outcome.value} ({_rules(decision)})"


def what_changed(then: Decision, now: Decision) -> str:
    """One sentence: how today's answer differs from March 2017's, and which law did it."""
    if then.outcome == now.outcome and then.rules == now.rules:
        return f"Unchanged: {_answer(now)} under both."
    findings = {f.rule: f for f in (*then.findings, *now.findings)}
    gained = sorted(now.rules - then.rules)
    lost = sorted(then.rules - now.rules)
    by_version: dict[str, list[str]] = {}
    for rule in gained:
        version = findings[rule].version
        by_version.setdefault(version.value if version else "an unnamed version", []).append(rule)
    added = " and ".join(
        f"{_NAMES.get(v, v)} added {', '.join(rules)}" for v, rules in sorted(by_version.items())
    )
    text = f"March 2017: {_answer(then)}; today: {_answer(now)}"
    if added:
        text += f", because {added}"
    if lost:
        text += f" ({', '.join(lost)} no longer named)"
    return text + "."


def then_and_now(
    echo: Callable[[str], None], bundle: Path, public_key: Path, key_id: str
) -> list[tuple[DemoCase, Decision, Decision]]:
    """Decide each step as of March 2017 and today on a non-logging OPA; print both."""
    steps = then_and_now_steps()
    echo("")
    echo(
        "The Tara Construction steps as of 15 March 2017 and as of today "
        "(what-if questions: not logged)"
    )
    echo(f"{'#':<5}{'Step':<62}{'2017-03':<10}{'Today':<9}")
    echo("-" * _WIDTH)
    rows = []
    what_if = LocalOPA(
        bundle=bundle, verification_key=public_key, verification_key_id=key_id, decision_logs=False
    )
    with what_if, Client(what_if.url, timeout=10.0) as client:
        for case in steps:
            now_request = DecisionRequest.from_dict(case.input)
            then_request = DecisionRequest.from_dict(case.input | {"occurred_at": MARCH_2017})
            then, now = client.decide_many([then_request, now_request])
            rows.append((case, then, now))
            title = textwrap.shorten(case.title, 60, placeholder="...")
            echo(f"{case.label:<5}{title:<62}{then.outcome.value:<10}{now.outcome.value:<9}")
            echo(
                textwrap.fill(
                    what_changed(then, now),
                    _WIDTH,
                    initial_indent="      ",
                    subsequent_indent="      ",
                )
            )
    _, then, now = rows[0]
    versions = ", ".join(v.value for v in then.law.versions)
    echo(
        f"demo: law in force on {then.law.date}: {versions}; today ({now.law.date}): "
        + ", ".join(v.value for v in now.law.versions)
    )
    return rows


def write_impact_of_2017(
    echo: Callable[[str], None],
    store: DecisionStore,
    *,
    bundle: Path,
    public_key: Path,
    key_id: str,
    out: Path,
) -> Sequence[Path]:
    """Replay the demo's logged decisions under the law of 15 March 2017; write the report."""
    impact = replay_decisions(
        store, bundle, verification_key=public_key, key_id=key_id, as_of=MARCH_2017
    )
    title = "The demo's decisions under the law of 15 March 2017 (impact of the law since)"
    paths = []
    for fmt, suffix in (("markdown", "md"), ("html", "html")):
        path = out / f"impact-2017.{suffix}"
        path.write_text(impact_report(impact, fmt, title=title), encoding="utf-8")
        paths.append(path)
    echo(
        f"demo: impact of the law since March 2017 on the {impact.replayed} logged decisions: "
        f"{len(impact.changes)} would have been decided otherwise "
        f"(replayed in {impact.seconds:.1f}s); written to {paths[0]} and {paths[1]}"
    )
    return paths
