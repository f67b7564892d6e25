"""The detainer register: every detainer request the City received, recorded once.

A detainer reaches the register two ways: a ``receive_detainer`` decision logged by an
agent (the collector records it on arrival), or the intake helpers for the channels it
really comes by (``trustpolicy detainer record``, one from flags or JSON, and
``trustpolicy detainer import``, a CSV exported from a district's fax log or the central
mailbox). Each arrival is a *receipt*; receipts with the same reference are one detainer
(a second fax of the same form is not a second request). A later ``detain`` or
``transfer_custody`` decision naming the reference gives the detainer its disposition.
The reference is kept only as a keyed hash (:mod:`trustpolicy.record._register_key`).
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import attrs

from trustpolicy.contract._errors import InvalidRequest, Problem
from trustpolicy.contract._limits import _INPUT_SCHEMA

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from trustpolicy.record._register_key import RegisterKey
    from trustpolicy.record._store import LoggedDecision

__all__ = ["Receipt", "RegisteredDetainer"]

BOSTON = ZoneInfo("America/New_York")
_SPEC: Mapping[str, Any] = _INPUT_SCHEMA["properties"]["detainer"]["properties"]
FORMS: tuple[str, ...] = tuple(_SPEC["form"]["enum"])
BASES: tuple[str, ...] = tuple(_SPEC["basis"]["items"]["enum"])
CHANNELS: tuple[str, ...] = tuple(_SPEC["received_via"]["enum"])
_MAX_REFERENCE = int(_SPEC["reference"]["maxLength"])
_MAX_DISTRICT = 32
#: The columns of an intake CSV; ``received_via`` may be left out when the import names it.
CSV_COLUMNS = ("received_at", "district", "form", "basis", "received_via", "reference")
_LOCAL_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%m/%d/%Y %H:%M", "%m/%d/%Y")


@attrs.frozen
class Receipt:
    """One arrival of a detainer: when, where, how, on which form, on what grounds."""

    receipt_id: str
    reference_hash: str
    received_at: datetime
    district: str | None
    form: str | None
    basis: tuple[str, ...]
    received_via: str | None
    source: str


@attrs.frozen
class RegisteredDetainer:
    """One detainer of the register: its receipts and the decisions that named it."""

    reference_hash: str
    receipts: tuple[Receipt, ...]
    decisions: tuple[LoggedDecision, ...] = ()

    @property
    def first(self) -> Receipt:
        """The earliest receipt: its date and district are the request's."""
        return self.receipts[0]

    def _known(self, name: str) -> Any:
        return next((getattr(r, name) for r in self.receipts if getattr(r, name)), None)

    @property
    def form(self) -> str | None:
        """The form, from the first receipt that names one."""
        form = self._known("form")
        return str(form) if form else None

    @property
    def basis(self) -> tuple[str, ...]:
        """The grounds checked on the form, from the first receipt that gives any."""
        return tuple(self._known("basis") or ())

    @property
    def received_via(self) -> str | None:
        """The channel of the first receipt."""
        return self.first.received_via

    @property
    def actions(self) -> tuple[LoggedDecision, ...]:
        """The ``detain`` and ``transfer_custody`` decisions that named it, oldest first."""
        wanted = ("detain", "transfer_custody")
        return tuple(d for d in self.decisions if d.input.get("action") in wanted)


def detainers(
    receipts: Sequence[Receipt], named: Mapping[str, Sequence[LoggedDecision]]
) -> list[RegisteredDetainer]:
    """Group receipts by reference hash into detainers, earliest first."""
    grouped: dict[str, list[Receipt]] = {}
    for receipt in sorted(receipts, key=lambda r: (r.received_at, r.receipt_id)):
        grouped.setdefault(receipt.reference_hash, []).append(receipt)
    found = [
        RegisteredDetainer(h, tuple(rs), tuple(sorted(named.get(h, ()), key=lambda d: d.timestamp)))
        for h, rs in grouped.items()
    ]
    return sorted(found, key=lambda d: (d.first.received_at, d.reference_hash))


def _local(value: str) -> datetime | None:
    for pattern in _LOCAL_FORMATS:
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=BOSTON)
        except ValueError:
            continue
    return None


def located(source: str, text: str) -> Problem:
    """``"field: message"`` as a Problem found at ``source`` (a line, a file and line)."""
    found = Problem.parse(text)
    return Problem(found.path, found.message, source=source)


def parse_time(text: str, field: str) -> datetime:
    """An RFC 3339 time, or a local Boston date/time as fax logs write it, as aware UTC."""
    value = text.strip()
    try:
        stamp: datetime | None = datetime.fromisoformat(value)
    except ValueError:
        stamp = _local(value)
    if stamp is None:
        raise ValueError(f"{field}: {text!r} is not a date or date-time")
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=BOSTON)  # a log without an offset: Boston local time
    return stamp.astimezone(UTC)


def _choice(value: Any, field: str, allowed: Sequence[str], problems: list[str]) -> str | None:
    if value in (None, ""):
        return None
    if value not in allowed:
        problems.append(f"{field}: {value!r} is not one of {', '.join(allowed)}")
        return None
    return str(value)


def receipt_from_fields(
    fields: Mapping[str, Any], key: RegisterKey, source: str, *, label: str = "detainer"
) -> Receipt:
    """Check one detainer's fields (``reference`` and ``received_at`` required) into a Receipt.

    Raise InvalidRequest listing every problem, each prefixed with ``label`` and the field.
    """
    problems: list[str] = []
    unknown = sorted(set(fields) - set(CSV_COLUMNS))
    if unknown:
        problems.append(f"unknown field(s) {', '.join(unknown)}")
    reference = fields.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        problems.append("reference: required (the number printed on the form)")
    elif len(reference) > _MAX_REFERENCE or not reference.isprintable():
        problems.append(f"reference: at most {_MAX_REFERENCE} printable characters")
    received = None
    raw_time = fields.get("received_at")
    if not isinstance(raw_time, str) or not raw_time.strip():
        problems.append("received_at: required (date and time the detainer arrived)")
    else:
        try:
            received = parse_time(raw_time, "received_at")
        except ValueError as exc:
            problems.append(str(exc))
    district = fields.get("district")
    if district not in (None, "") and (
        not isinstance(district, str) or len(district) > _MAX_DISTRICT or not district.isprintable()
    ):
        problems.append(f"district: at most {_MAX_DISTRICT} printable characters")
    form = _choice(fields.get("form"), "form", FORMS, problems)
    via = _choice(fields.get("received_via"), "received_via", CHANNELS, problems)
    raw_basis = fields.get("basis") or []
    if isinstance(raw_basis, str):
        raw_basis = [b.strip() for b in raw_basis.replace(",", ";").split(";") if b.strip()]
    if not isinstance(raw_basis, list):
        problems.append("basis: must be a list of grounds")
        raw_basis = []
    basis = [b for b in (_choice(b, "basis", BASES, problems) for b in raw_basis) if b]
    if problems:
        raise InvalidRequest([located(label, p) for p in problems])
    assert isinstance(reference, str)
    assert received is not None
    digest = key.digest(reference)
    where = district.strip() if isinstance(district, str) and district.strip() else None
    when = received.isoformat()
    identity = "|".join((source.split(":", 1)[0], digest, when, where or "", via or ""))
    return Receipt(
        receipt_id="intake:" + hashlib.sha256(identity.encode()).hexdigest()[:32],
        reference_hash=digest,
        received_at=received,
        district=where,
        form=form,
        basis=tuple(dict.fromkeys(basis)),
        received_via=via,
        source=source,
    )


def parse_csv(
    text: str, key: RegisterKey, *, source: str, received_via: str | None = None
) -> list[Receipt]:
    """Parse an intake CSV (header row, :data:`CSV_COLUMNS`) into receipts, all or nothing.

    ``received_via`` fills the channel of rows that leave it empty (``fax`` for a district's
    fax log, ``email`` for the central mailbox). Raise InvalidRequest with one
    ``line N: field: problem`` entry for every bad row; no receipt is returned then.
    """
    if received_via is not None and received_via not in CHANNELS:
        raise InvalidRequest(
            [Problem("received_via", f"{received_via!r} is not one of {CHANNELS}")]
        )
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), skipinitialspace=True)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("received_at", "reference") if c not in header]
    extra = [h for h in header if h not in CSV_COLUMNS]
    if missing or extra:
        detail = [f"missing column(s) {', '.join(missing)}"] if missing else []
        detail += [f"unknown column(s) {', '.join(extra)}"] if extra else []
        message = f"{'; '.join(detail)}; expected {', '.join(CSV_COLUMNS)}"
        raise InvalidRequest([Problem("header", message, source="line 1")])
    reader.fieldnames = header
    receipts: list[Receipt] = []
    problems: list[Problem] = []
    for row in reader:
        line = reader.line_num
        if None in row or any(v is None for v in row.values()):
            problems.append(Problem("row", f"expected {len(header)} fields", source=f"line {line}"))
            continue
        fields = {k: v.strip() for k, v in row.items() if isinstance(v, str) and v.strip()}
        if not fields:
            continue
        fields.setdefault("received_via", received_via or "")
        try:
            receipts.append(
                receipt_from_fields(fields, key, f"{source}:{line}", label=f"line {line}")
            )
        except InvalidRequest as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidRequest(problems)
    if not receipts:
        raise InvalidRequest([Problem("rows", "no detainer rows", source="line 2")])
    return receipts


def receipt_from_decision(
    decision_id: str, stamp: str, kept: Mapping[str, Any], digest: str
) -> Receipt:
    """The receipt a ``receive_detainer`` decision records (its masked input and time)."""
    detainer = kept.get("detainer", {})
    received = stamp
    if isinstance(detainer.get("received_at"), str):
        try:
            received = parse_time(detainer["received_at"], "received_at").isoformat()
        except ValueError:
            received = stamp
    district = kept.get("actor", {}).get("district")
    return Receipt(
        receipt_id=decision_id,
        reference_hash=digest,
        received_at=datetime.fromisoformat(received),
        district=district if isinstance(district, str) else None,
        form=detainer.get("form"),
        basis=tuple(detainer.get("basis", ())),
        received_via=detainer.get("received_via"),
        source="decision",
    )
