"""The demo's year of detainers: what ICE lodged, what the stations recorded, and the gap.

A fixed pseudo-random year (the same every run) of detainers ICE lodges with Boston's
district stations. Most reach the register: a few as ``receive_detainer`` decisions asked
of the agent (so the collector records them from its decision logs, with ``detain``
decisions that name some of them), the rest by the intake channels, a district fax log
and the central mailbox, imported as CSV. Some arrive twice (a second fax, or by fax and
by e-mail); some are never recorded, as happens when a fax is not logged; a few carry a
mistyped number; a few the stations recorded are not on ICE's list. ICE's list, the
intake files and the finance records are written to the demo's private temporary folder
only: the references in clear never reach ``var/demo``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from trustpolicy.contract._models import DecisionRequest
from trustpolicy.record._register import BOSTON, parse_csv

if TYPE_CHECKING:
    from pathlib import Path

    from trustpolicy.client._client import Client
    from trustpolicy.record._register_key import RegisterKey
    from trustpolicy.record._store import DecisionStore

__all__ = ["SeededYear", "import_intake", "seed_year"]

_DISTRICTS = ("A-1", "A-7", "B-2", "B-3", "C-6", "C-11", "D-4", "D-14", "E-5", "E-13", "E-18")
_BASES: tuple[str, ...] = ("final_order_of_removal", "removal_proceedings_pending")
_BASES += ("biometric_records_match", "statements_or_evidence")
_LODGED = 60  # detainers ICE lodges in the demo year
_HELD_ON_WARRANT, _MOVED_ON_WARRANT = 1, 3  # of the detainers the agent records
_ACTOR = {"agency": "BPD", "role": "police_officer"}
_CIVIL = [{"type": "civil_detainer", "issued_by": "ice_officer"}]
_WARRANT = {
    "authority": [*_CIVIL, {"type": "judicial_criminal_warrant", "issued_by": "magistrate"}],
    "purpose": "criminal_investigation",
    "criminal_case": {"id": "1:26-mj-0100", "statute": "8 USC 1326", "category": "illegal_reentry"},
}


@attrs.frozen
class _Lodged:
    number: int
    when: datetime  # Boston local
    district: str
    form: str
    basis: tuple[str, ...]

    @property
    def reference(self) -> str:
        return f"ICE-BOS-{self.when.year % 100:02d}-{self.number:05d}"


@attrs.frozen
class SeededYear:
    """What the demo seeded: files for intake and reconciliation, and the agent's decisions."""

    ice_list: Path
    fax_log: Path
    mailbox: Path
    finance: Path
    decisions: int
    lodged: int
    never_recorded: int
    received_twice: int


def _lodged(year: int, today: datetime) -> list[_Lodged]:
    rng = random.Random(year)  # noqa: S311 - demo data, the same every run
    start = datetime(year, 1, 2, 8, tzinfo=BOSTON)
    span = max((today - start).days - 1, 30)
    found = []
    for n in range(1, _LODGED + 1):
        when = start + timedelta(days=rng.randrange(span), minutes=rng.randrange(600))
        basis = tuple(b for b in _BASES if rng.random() < 0.35) or (rng.choice(_BASES),)  # noqa: PLR2004
        form = "I-247A" if rng.random() < 0.85 else "I-247D"  # noqa: PLR2004
        found.append(_Lodged(n, when, rng.choice(_DISTRICTS), form, basis))
    return sorted(found, key=lambda d: d.when)


def _row(d: _Lodged, when: datetime, via: str, reference: str | None = None) -> str:
    stamp = when.strftime("%Y-%m-%d %H:%M")
    return f"{stamp},{d.district},{d.form},{';'.join(d.basis)},{via},{reference or d.reference}"


def _detainer(d: _Lodged, when: datetime, via: str) -> dict[str, Any]:
    return {
        "form": d.form,
        "basis": list(d.basis),
        "received_via": via,
        "received_at": when.isoformat(),
        "reference": d.reference,
    }


def _ask_agent(client: Client, chosen: list[_Lodged]) -> int:
    """Receipts one by one, then the holds and transfers in one batch; return the count.

    The batch (``decide_many``) is logged as one query, and the collector stores each of
    its decisions as its own record, linked to the detainer it names.
    """
    later: list[DecisionRequest] = []
    for i, d in enumerate(chosen):
        actor = {**_ACTOR, "district": d.district}
        received = {
            "action": "receive_detainer",
            "actor": actor,
            "counterpart": {"agency": "ICE-ERO"},
            "authority": _CIVIL,
            "detainer": _detainer(d, d.when, "fax"),
        }
        client.decide(DecisionRequest.from_dict(received))
        hold = {
            "action": "detain",
            "actor": actor,
            "subject": {"role": "arrestee", "in_custody": True, "eligible_for_release": True},
            "counterpart": {"agency": "ICE-ERO"},
            "authority": _CIVIL,
            "purpose": "civil_immigration_enforcement",
            "detainer": {"reference": d.reference},
        }
        if i % 2 == 0:  # ICE asks for the hold: refused on a civil detainer alone
            later.append(DecisionRequest.from_dict(hold))
        elif i == _HELD_ON_WARRANT:  # a magistrate's criminal warrant too: held on it
            later.append(DecisionRequest.from_dict({**hold, **_WARRANT}))
        elif i == _MOVED_ON_WARRANT:  # ... and another handed over on such a warrant
            later.append(
                DecisionRequest.from_dict({**hold, **_WARRANT, "action": "transfer_custody"})
            )
    client.decide_many(later)
    return len(chosen) + len(later)


def seed_year(client: Client, private: Path, year: int) -> SeededYear:
    """Decide the agent's share through ``client`` and write the CSVs to ``private``."""
    today = datetime.now(BOSTON)
    lodged = _lodged(year, today)
    fax, mail, ice = [], [], ["date,facility,reference"]
    # Never recorded: every sixth, and the last three (still on their way to the log).
    never = {d.number for d in lodged[5::6]} | {d.number for d in lodged[-3:]}
    twice = 0
    typo = {d.number for d in lodged[7::17]}
    via_agent = [d for d in lodged if d.number not in never | typo][:6]
    agent_numbers = {d.number for d in via_agent}
    for i, d in enumerate(lodged):
        ice.append(f"{d.when.date().isoformat()},BPD District {d.district},{d.reference}")
        if d.number in never or d.number in agent_numbers:
            continue
        wrong = f"ICE-BOS-{year % 100:02d}-{d.number + 90000:05d}" if d.number in typo else None
        if i % 3 == 0:
            mail.append(_row(d, d.when + timedelta(minutes=20), "email", wrong))
        else:
            fax.append(_row(d, d.when, "fax", wrong))
        if i % 7 == 1:  # a second fax of the same form, or the form again by e-mail
            again = d.when + timedelta(hours=3)
            (fax if i % 2 else mail).append(_row(d, again, "fax" if i % 2 else "email", wrong))
            twice += 1
    for n, district in ((91001, "C-11"), (91002, "B-2")):  # recorded, not on ICE's list
        stray = _Lodged(n, datetime(year, 3, 3 + n % 5, 11, tzinfo=BOSTON), district, "I-247A", ())
        fax.append(_row(stray, stray.when, "fax"))
    header = "received_at,district,form,basis,received_via,reference"
    paths = {name: private / f"{name}.csv" for name in ("ice-list", "fax-log", "mailbox")}
    paths["ice-list"].write_text("\n".join(ice) + "\n", encoding="utf-8")
    paths["fax-log"].write_text("\n".join([header, *fax]) + "\n", encoding="utf-8")
    paths["mailbox"].write_text("\n".join([header, *mail]) + "\n", encoding="utf-8")
    finance = private / "finance.csv"
    finance.write_text(
        "case,date,amount,program,description\n"
        f'SCAAP-FY{year % 100}-0117,{year}-04-30,"$48,212.50",SCAAP,'
        "State Criminal Alien Assistance Program (demo figure)\n"
        f"JAG-{year}-044,{year}-09-15,1200.00,JAG,Byrne JAG equipment grant (demo figure)\n",
        encoding="utf-8",
    )
    return SeededYear(
        ice_list=paths["ice-list"],
        fax_log=paths["fax-log"],
        mailbox=paths["mailbox"],
        finance=finance,
        decisions=_ask_agent(client, via_agent),
        lodged=len(lodged),
        never_recorded=len(never),
        received_twice=twice,
    )


def import_intake(store: DecisionStore, key: RegisterKey, seeded: SeededYear) -> tuple[int, int]:
    """Import the fax log and the mailbox export as ``trustpolicy detainer import`` does."""
    added = rows = 0
    for path, source, via in (
        (seeded.fax_log, "fax-log", "fax"),
        (seeded.mailbox, "mailbox", "email"),
    ):
        receipts = parse_csv(
            path.read_text(encoding="utf-8"), key, source=f"{source}:{path.name}", received_via=via
        )
        added += store.add_receipts(receipts, key)
        rows += len(receipts)
    return rows, added
