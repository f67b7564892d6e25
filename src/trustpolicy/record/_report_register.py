"""Section 3 from the detainer register: requests by reason, holds, transfers, money, letter.

The 2014 model ordinance's reporting section (Boston's Section 3 very likely asks the
same) covers: (1) detainer requests lodged, by the reasons given; (2) people detained on
one, by reason; (3) people transferred to ICE; (4) federal reimbursements, by case. The
department files it as a letter to the City Clerk listing each request with its date,
district and what was done. Each detainer counts once however often it arrived (the
register's receipts); its disposition is the last ``detain`` or ``transfer_custody``
decision that named it, and a detainer no decision acted on was not acted upon.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING

from trustpolicy.record._register import BASES, BOSTON, CHANNELS
from trustpolicy.record._report import (
    _DISPOSITIONS,
    _HELD,
    _MONTHS,
    _REIMBURSEMENT,
    _TRANSFERRED,
    _Section,
    _Table,
    disposition,
)
from trustpolicy.record._report_charts import stacked_bars

if TYPE_CHECKING:
    from collections.abc import Sequence

    from trustpolicy.record._register import RegisteredDetainer
    from trustpolicy.record._reimbursements import Reimbursement

__all__: list[str] = []

NOT_ACTED_UPON = "Not acted upon per the Boston Trust Act"
_CRIMINAL_HOLD = "Held on criminal grounds (not yet eligible for release)"
_HOLDS = (_HELD, _CRIMINAL_HOLD)
_NO_REASON = "(no reason given)"
_NOT_RECORDED = "(not recorded)"
REASONS = {
    "final_order_of_removal": "Final order of removal",
    "removal_proceedings_pending": "Removal proceedings pending",
    "biometric_records_match": "Biometric records match",
    "statements_or_evidence": "Statements or other evidence",
}


def detainer_disposition(detainer: RegisteredDetainer) -> str:
    """What became of a detainer: its last hold or transfer decision, else not acted upon."""
    actions = detainer.actions
    return disposition(actions[-1]) if actions else NOT_ACTED_UPON


def _reasons(detainer: RegisteredDetainer) -> list[str]:
    return [REASONS[b] for b in detainer.basis if b in REASONS] or [_NO_REASON]


def _reason_rows() -> list[str]:
    return [*(REASONS[b] for b in BASES), _NO_REASON]


def _by_reason(items: Sequence[RegisteredDetainer], columns: Sequence[str]) -> _Table:
    """Reasons x dispositions; a request that checks several reasons counts under each."""
    counts = Counter((r, detainer_disposition(d)) for d in items for r in _reasons(d))
    rows = [
        (r, *(str(counts[r, c]) for c in columns), str(sum(counts[r, c] for c in columns)))
        for r in _reason_rows()
    ]
    once = [sum(detainer_disposition(d) == c for d in items) for c in columns]
    total = ("Requests (each once)", *map(str, once), str(sum(once)))
    return _Table(("Reason given", *columns, "Total"), (*rows, total))


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def _date(detainer: RegisteredDetainer) -> str:
    return detainer.first.received_at.astimezone(BOSTON).date().isoformat()


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _reimbursements(found: Sequence[Reimbursement] | None, year: int) -> _Section:
    if found is None:
        return _Section("Federal reimbursements", (_REIMBURSEMENT,))
    paid = sorted((r for r in found if r.date.year == year), key=lambda r: (r.case, r.date))
    by_case: dict[str, Decimal] = {}
    for r in paid:
        by_case[r.case] = by_case.get(r.case, Decimal(0)) + r.amount
    total = sum(by_case.values(), Decimal(0))
    rows = tuple((r.case, r.date.isoformat(), r.program, _money(r.amount)) for r in paid)
    cases = tuple((case, _money(amount)) for case, amount in sorted(by_case.items()))
    return _Section(
        "Federal reimbursements",
        (
            (
                f"From the City's finance records supplied for this report: {len(paid)} payments "
                f"in {year} for {len(by_case)} cases, {_money(total)} in all. Payments are not "
                "decisions, so they are not in the decision logs; they are reported as supplied."
            ),
        ),
        (
            _Table(("Case", "Total"), (*cases, ("Total", _money(total)))),
            _Table(("Case", "Date", "Program", "Amount"), rows),
        ),
    )


def register_sections(
    items: Sequence[RegisteredDetainer], year: int, reimbursements: Sequence[Reimbursement] | None
) -> list[_Section]:
    """The Section 3 sections counted from the register's detainers received in ``year``."""
    receipts = sum(len(d.receipts) for d in items)
    repeated = sum(len(d.receipts) > 1 for d in items)
    found = {detainer_disposition(d) for d in items}
    columns = [c for c in (NOT_ACTED_UPON, *_DISPOSITIONS) if c in found]
    columns += sorted(found - set(columns))
    held = [d for d in items if detainer_disposition(d) in _HOLDS]
    moved = [d for d in items if detainer_disposition(d) == _TRANSFERRED]
    months = [[0] * 12 for _ in CHANNELS] + [[0] * 12]
    channels = [*CHANNELS, _NOT_RECORDED]
    for d in items:
        via = d.received_via if d.received_via in CHANNELS else _NOT_RECORDED
        months[channels.index(via)][d.first.received_at.astimezone(BOSTON).month - 1] += 1
    chart = stacked_bars(
        "Detainer requests received by month and channel",
        _MONTHS,
        dict(zip(channels, months, strict=True)),
    )
    listing = tuple(
        (
            str(i),
            _date(d),
            d.first.district or _NOT_RECORDED,
            d.form or _NOT_RECORDED,
            d.received_via or _NOT_RECORDED,
            detainer_disposition(d),
        )
        for i, d in enumerate(items, start=1)
    )
    by_channel = Counter(d.received_via or _NOT_RECORDED for d in items)
    return [
        _Section(
            "Detainer requests lodged, by reason given",
            (
                (
                    f"{len(items)} detainer requests were received in {year} and recorded in the "
                    f"detainer register ({receipts} receipts: {repeated} requests arrived more "
                    "than once, by a second fax or by fax and e-mail, and count once). A request "
                    "is counted under each reason checked on its form, so the reasons can add up "
                    "to more than the requests."
                ),
            ),
            (
                _by_reason(items, columns),
                _Table(
                    ("Channel", "Requests"),
                    tuple((c, str(n)) for c, n in sorted(by_channel.items())),
                ),
            ),
            svg=chart,
        ),
        _Section(
            "People detained on a detainer, by reason given",
            (
                (
                    f"{_people(len(held))} named in a detainer were held. Under BTA-DET-01 and "
                    "Lunn v. Commonwealth nobody may be held on a civil detainer alone: a hold "
                    "counted here was allowed on a judicial warrant or order, or on criminal "
                    "grounds before the person was eligible for release."
                ),
            ),
            (_by_reason(held, list(_HOLDS)),),
        ),
        _Section(
            "People transferred to immigration authorities",
            (
                (
                    f"{_people(len(moved))} named in a detainer were transferred to immigration "
                    "authorities, each on a judicial warrant or order the engine allowed."
                ),
            ),
            (
                _Table(
                    ("Date", "District", "Form"),
                    tuple(
                        (_date(d), d.first.district or _NOT_RECORDED, d.form or "") for d in moved
                    ),
                ),
            )
            if moved
            else (),
        ),
        _reimbursements(reimbursements, year),
        _Section(
            "Detainer requests received, one by one",
            (
                (
                    "The listing the department files with the City Clerk: each detainer request "
                    "received, in order of arrival, with the district station that received it, "
                    "the form, the channel and what was done."
                ),
            ),
            (_Table(("#", "Date", "District", "Form", "Channel", "Disposition"), listing),),
        ),
    ]
