"""The one small interface the decision store writes through, and the URL that picks a backend.

Two implementations keep all their SQL to themselves: :mod:`._sqlite` (the embedded
default, one file) and :mod:`._postgres` (a city's database server, shared by several
collectors). Each creates and changes its schema only by numbered migrations, recorded in
the database's own ``schema_migrations`` table, so ``trustpolicy db status`` can tell what
is applied and ``trustpolicy db migrate`` what it applied.

A store is named by a URL: ``sqlite:///absolute/path``, a plain path (SQLite, as before),
or ``postgresql://user@host:port/dbname``. A password never goes into the URL (it would
sit on a command line and in logs): it comes from ``--db-password-file``, from
``TRUSTPOLICY_DB_PASSWORD``, or from libpq's own ``PGPASSWORD`` or ``~/.pgpass``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from trustpolicy.contract._errors import ConfigError

if TYPE_CHECKING:
    from datetime import datetime

# The public names; the rest (URL parsing, row shapes, the Protocol) is the store's own.
__all__ = ["AppliedMigration", "Migration", "SchemaStatus"]

PASSWORD_ENV = "TRUSTPOLICY_DB_PASSWORD"  # noqa: S105 - the variable's name, not a secret

# What a backend stores for one decision, in column order:
# decision_id, agent, timestamp, received_at, path, input, result, bundles, labels, error,
# stripped. Times are aware UTC datetimes; input .. error are JSON text (error may be None).
DecisionRow = tuple[str, str, "datetime", "datetime", str, str, str, str, str, str | None, int]
# What a backend returns for one decision: decision_id, agent, timestamp, path, input,
# result, bundles, labels, error (JSON text as stored).
StoredRow = tuple[str, str, "datetime", str, str, str, str, str, str | None]
# A receipt of the detainer register: receipt_id, reference_hash, received_at, district,
# form, basis (JSON text), received_via, source, recorded_at (times aware UTC datetimes).
ReceiptRow = tuple[Any, ...]
# A stored receipt: the same without recorded_at.
StoredReceipt = tuple[str, str, "datetime", str | None, str | None, str, str | None, str]


@attrs.frozen
class Migration:
    """One numbered step of a backend's schema: its statements run in one transaction."""

    version: int
    name: str
    statements: tuple[str, ...]


@attrs.frozen
class AppliedMigration:
    """A migration recorded in the database's ``schema_migrations`` table."""

    version: int
    name: str
    applied_at: datetime


@attrs.frozen
class SchemaStatus:
    """Where a database's schema stands against the migrations this trustpolicy knows."""

    url: str
    applied: tuple[AppliedMigration, ...]
    pending: tuple[Migration, ...]
    latest: int

    @property
    def version(self) -> int:
        """The highest applied migration (0 for an empty database)."""
        return max((m.version for m in self.applied), default=0)

    @property
    def current(self) -> bool:
        """True when every known migration is applied and none is unknown."""
        return not self.pending and self.version == self.latest


class StoreBackend(Protocol):
    """What :class:`~trustpolicy.record._store.DecisionStore` needs from a database.

    Implementations are thread-safe; every write is one transaction, and ``insert_decisions``
    is idempotent by decision ID even when several processes insert the same rows at once.
    """

    url: str  # for messages: never carries a password

    def insert_decisions(
        self, rows: list[DecisionRow], links: list[tuple[str, str]], receipts: list[ReceiptRow]
    ) -> int:
        """Insert an upload in one transaction; return how many decisions were new.

        With the decisions go their links to the register, ``(decision_id, reference_hash)``,
        and the receipts; known keys are skipped.
        """
        ...

    def select_decisions(self, lo: datetime, hi: datetime) -> list[StoredRow]:
        """Rows with ``lo <= timestamp < hi``, ordered by timestamp then decision ID."""
        ...

    def select_owners(self, decision_ids: list[str]) -> list[tuple[str, str, str, str | None]]:
        """``(decision_id, agent, input, result)`` of the stored rows with these IDs."""
        ...

    def count_decisions(self) -> int:
        """How many decisions are stored."""
        ...

    def upsert_status(self, agent: str, received_at: datetime, status: str) -> None:
        """Keep ``status`` (JSON text) as the latest status report of ``agent``."""
        ...

    def select_statuses(self) -> list[tuple[str, str]]:
        """Each agent with its latest status report (JSON text), by agent name."""
        ...

    # -- the detainer register ------------------------------------------------------------

    def insert_receipts(self, rows: list[ReceiptRow]) -> int:
        """Insert receipts in one transaction (known receipt IDs skipped); return how many."""
        ...

    def select_receipts(self, lo: datetime, hi: datetime) -> list[StoredReceipt]:
        """Receipts with ``lo <= received_at < hi``, ordered by that time then receipt ID."""
        ...

    def select_named(self, hashes: list[str]) -> list[tuple[str, StoredRow]]:
        """``(reference_hash, decision)`` for each decision linked to one of ``hashes``.

        Ordered by the decision's timestamp, then decision ID.
        """
        ...

    def register_count(self) -> tuple[int, int]:
        """Distinct reference hashes among the receipts, and the receipts."""
        ...

    def register_hashes(self) -> set[str]:
        """Every reference hash the receipts and links hold."""
        ...

    def register_fingerprint(self) -> str | None:
        """The fingerprint of the key the register is under (None before its first use)."""
        ...

    def set_register_fingerprint(self, fingerprint: str, keyed_at: datetime) -> None:
        """Record the register's key fingerprint unless one is recorded already."""
        ...

    def rekey(self, pairs: list[tuple[str, str]], fingerprint: str, keyed_at: datetime) -> None:
        """Replace each ``(new, old)`` hash and set the fingerprint, in one transaction."""
        ...

    def schema_status(self) -> SchemaStatus:
        """Which migrations are applied, and which are pending."""
        ...

    def migrate(self) -> list[Migration]:
        """Apply the pending migrations (serialised against other processes); return them."""
        ...

    def close(self) -> None:
        """Release the connection(s)."""
        ...


@attrs.frozen
class StoreURL:
    """A parsed store URL: ``kind`` is ``sqlite`` or ``postgresql``."""

    kind: str
    path: Path | None = None  # sqlite
    conninfo: str = ""  # postgresql: libpq URL without a password
    display: str = ""  # what messages show

    @property
    def is_postgresql(self) -> bool:
        """True for a PostgreSQL server, False for a SQLite file."""
        return self.kind == "postgresql"


def parse_store_url(database: str | os.PathLike[str]) -> StoreURL:
    """Parse ``sqlite:///path``, a plain path, or ``postgresql://user@host:port/db``.

    Raises :class:`ConfigError` naming ``db`` for an unknown scheme, and naming the
    password when the URL carries one.
    """
    text = os.fspath(database)
    scheme, sep, rest = text.partition("://")
    if not sep:
        if not text.strip():
            raise ConfigError("db: an empty store URL (give sqlite:///path or postgresql://...)")
        return StoreURL("sqlite", path=Path(text), display=text)
    scheme = scheme.lower()
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise ConfigError(f"db: {text!r}: a SQLite URL is sqlite:///absolute/path")
        return StoreURL("sqlite", path=Path(rest), display=text)
    if scheme in {"postgresql", "postgres"}:
        return _postgres_url(text)
    raise ConfigError(f"db: {scheme}:// is not a store (use sqlite:///path or postgresql://...)")


def _postgres_url(text: str) -> StoreURL:
    try:
        from psycopg.conninfo import conninfo_to_dict  # noqa: PLC0415 - only PostgreSQL needs it
    except ImportError as exc:  # psycopg is the postgresql extra
        raise ConfigError(
            "db: a PostgreSQL store needs psycopg: pip install 'trustpolicy[postgresql]'"
        ) from exc

    try:
        params: dict[str, Any] = conninfo_to_dict(text)
    except Exception as exc:  # psycopg raises ProgrammingError; the URL is the user's input
        raise ConfigError("db: not a valid postgresql:// URL") from exc
    if params.get("password"):
        raise ConfigError(
            "db: the URL carries a password; give it with --db-password-file or "
            f"{PASSWORD_ENV} (or PGPASSWORD) instead, never in the URL"
        )
    user = params.get("user", "")
    host = params.get("host", "")
    port = params.get("port", "")
    dbname = params.get("dbname", "")
    shown = f"postgresql://{user + '@' if user else ''}{host}{':' + str(port) if port else ''}"
    return StoreURL("postgresql", conninfo=text, display=f"{shown}/{dbname}")


def resolve_password(explicit: str | None) -> str | None:
    """The password to send: ``explicit``, else ``TRUSTPOLICY_DB_PASSWORD``, else libpq's own."""
    if explicit:
        return explicit
    return os.environ.get(PASSWORD_ENV) or None


def read_password_file(path: Path) -> str:
    """Read a password file (one line; the trailing newline is dropped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"db-password-file: cannot read {path}: {exc}") from exc
    password = text.rstrip("\r\n")
    if not password:
        raise ConfigError(f"db-password-file: {path} is empty")
    return password
