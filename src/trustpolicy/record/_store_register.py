"""The detainer register in the decision store (its SQL is each backend's: _sqlite, _postgres).

``detainer_receipts``: one row per arrival of a detainer, keyed by a receipt id (the
decision id of a ``receive_detainer`` decision, or an intake id derived from the row), so
a repeated upload or import adds nothing. ``detainer_links``: which decision named which
detainer (by keyed hash). ``register_key``: the fingerprint of the key the hashes are
under. No table has a column for the reference itself.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from trustpolicy.contract._errors import ConfigError
from trustpolicy.record._register import Receipt

if TYPE_CHECKING:
    from collections.abc import Iterable

    from trustpolicy.record._backend import StoreBackend
    from trustpolicy.record._register_key import RegisterKey
    from trustpolicy.record._store import LoggedDecision

__all__: list[str] = []


def receipt_row(receipt: Receipt, recorded: datetime) -> tuple[Any, ...]:
    """The ``detainer_receipts`` row of a receipt (times as aware UTC datetimes)."""
    return (
        receipt.receipt_id,
        receipt.reference_hash,
        receipt.received_at.astimezone(UTC),
        receipt.district,
        receipt.form,
        json.dumps(list(receipt.basis)),
        receipt.received_via,
        receipt.source,
        recorded,
    )


def _receipt(row: tuple[Any, ...]) -> Receipt:
    rid, digest, received, district, form, basis, via, source = row
    return Receipt(
        receipt_id=rid,
        reference_hash=digest,
        received_at=received,
        district=district,
        form=form,
        basis=tuple(json.loads(basis)),
        received_via=via,
        source=source,
    )


class RegisterTables:
    """The register's operations; mixed into DecisionStore, whose backend holds the SQL."""

    url: str
    _backend: StoreBackend

    def bind_register_key(self, key: RegisterKey) -> None:
        """Record the key's fingerprint on first use; ConfigError if the register has another."""
        found = self._backend.register_fingerprint()
        if found is not None and found != key.fingerprint:
            raise ConfigError(
                f"the detainer register in {self.url} is keyed with the key of fingerprint "
                f"{found}, not the configured key ({key.fingerprint}); configure the "
                "register's key (after a re-key, the key file 'trustpolicy detainer rekey' wrote)"
            )
        if found is None:
            self._backend.set_register_fingerprint(key.fingerprint, datetime.now(UTC))
            self.bind_register_key(key)  # lost a race to another writer: check theirs

    def add_receipts(self, receipts: Iterable[Receipt], key: RegisterKey) -> int:
        """Record receipts in one transaction (all or none); return how many were new."""
        self.bind_register_key(key)
        now = datetime.now(UTC)
        return self._backend.insert_receipts([receipt_row(r, now) for r in receipts])

    def receipts(self, *, since: datetime, until: datetime) -> list[Receipt]:
        """The receipts with ``since <= received_at < until``, oldest first."""
        rows = self._backend.select_receipts(since.astimezone(UTC), until.astimezone(UTC))
        return [_receipt(row) for row in rows]

    def named_detainers(self, hashes: Iterable[str]) -> dict[str, list[LoggedDecision]]:
        """The stored decisions that named each of ``hashes``, oldest first."""
        from trustpolicy.record._store import _decision  # noqa: PLC0415 - a cycle

        found: dict[str, list[LoggedDecision]] = {}
        for digest, row in self._backend.select_named(sorted(set(hashes))):
            found.setdefault(digest, []).append(_decision(row))
        return found

    def register_count(self) -> tuple[int, int]:
        """How many detainers (distinct references) and receipts the register holds."""
        return self._backend.register_count()

    def rekey(self, current: RegisterKey, new: RegisterKey) -> int:
        """Wrap every stored hash under ``new`` in one transaction; return the hashes re-keyed.

        The register must be keyed with ``current``; afterwards it is keyed with
        ``current.extended(new)``.
        """
        self.bind_register_key(current)
        chain = current.extended(new)
        pairs = [(new.wrap(h), h) for h in sorted(self._backend.register_hashes())]
        self._backend.rekey(pairs, chain.fingerprint, datetime.now(UTC))
        return len(pairs)
