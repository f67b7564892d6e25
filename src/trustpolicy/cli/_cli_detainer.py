"""``trustpolicy detainer``: the detainer register's intake, key and re-keying.

Every command that reads or writes a reference needs the register key: ``--key-file`` or
``$TRUSTPOLICY_REGISTER_KEY_FILE`` / ``$TRUSTPOLICY_REGISTER_KEY``. A reference is never
printed; a command line is visible to other users, so prefer ``--json -`` (standard
input) over ``--reference`` for one detainer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from trustpolicy.cli._cli_common import EXIT_USAGE, block, read_input
from trustpolicy.cli._cli_db import KEY_FILE, db_options, open_store
from trustpolicy.contract._errors import InvalidRequest
from trustpolicy.record._register import BASES, CHANNELS, FORMS, parse_csv, receipt_from_fields
from trustpolicy.record._register_key import RegisterKey

__all__ = ["KEY_FILE", "STORE", "detainer"]

# The collector's store, SQLite or PostgreSQL (the register lives beside the decisions).
STORE = db_options
_SOURCES = {"fax-log": "fax", "mailbox": "email", "other": None}


def _problems(exc: InvalidRequest, what: str) -> int:
    """Print every problem on its own line of stderr (one per bad row); exit code 2."""
    click.echo(f"trustpolicy detainer: error: {what}: nothing was recorded", err=True)
    for problem in exc.problems:
        click.echo(f"  {problem}", err=True)
    return EXIT_USAGE


@click.group(
    epilog=block(
        "Examples",
        "trustpolicy detainer keygen city-register.key",
        "trustpolicy detainer record --db var/decisions.sqlite --json - < detainer.json",
        "trustpolicy detainer import --db var/decisions.sqlite --source fax-log c11-fax.csv",
    )
)
def detainer() -> None:
    """The detainer register: each request recorded once, its reference only as a keyed hash."""


@detainer.command(
    epilog=block(
        "Example",
        "trustpolicy detainer record --db var/decisions.sqlite \\",
        "    --received-at 2026-03-02T09:14-05:00 --district C-11 --form I-247A \\",
        "    --basis biometric_records_match --via fax --json - < reference.json",
    )
)
@STORE
@KEY_FILE
@click.option(
    "--json", "json_file", default=None, help="A JSON object of the fields (- for stdin)."
)
@click.option("--reference", default=None, help="The number on the form (prefer --json -).")
@click.option("--received-at", default=None, help="When it arrived: RFC 3339, or local date/time.")
@click.option("--district", default=None, help="The district station it arrived at, e.g. C-11.")
@click.option("--form", type=click.Choice(FORMS), default=None)
@click.option("--basis", type=click.Choice(BASES), multiple=True, help="A ground checked (repeat).")
@click.option("--via", "received_via", type=click.Choice(CHANNELS), default=None)
def record(
    *,
    db: str,
    db_password_file: Path | None,
    key_file: Path | None,
    json_file: str | None,
    reference: str | None,
    received_at: str | None,
    district: str | None,
    form: str | None,
    basis: tuple[str, ...],
    received_via: str | None,
) -> int:
    """Record one detainer as received (a second receipt of a known one is the same detainer).

    Fields come from --json (an object with received_at, district, form, basis,
    received_via, reference) and the flags; a flag overrides the same JSON field.
    """
    fields: dict[str, Any] = {}
    source = "cli"
    if json_file is not None:
        text, name = read_input(json_file)
        try:
            loaded = json.loads(text)
        except ValueError as exc:
            raise click.UsageError(f"{name}: invalid JSON: {exc}") from exc
        if not isinstance(loaded, dict):
            raise click.UsageError(f"{name}: must be a JSON object of detainer fields")
        fields.update(loaded)
    flags: dict[str, Any] = {"reference": reference, "received_at": received_at}
    flags |= {"district": district, "form": form, "received_via": received_via}
    flags |= {"basis": list(basis) or None}
    fields.update({k: v for k, v in flags.items() if v is not None})
    key = RegisterKey.resolve(key_file)
    try:
        receipt = receipt_from_fields(fields, key, source)
    except InvalidRequest as exc:
        return _problems(exc, "invalid detainer")
    with open_store(db, db_password_file, must_exist=False) as store:
        before, _ = store.register_count()
        added = store.add_receipts([receipt], key)
        after, _ = store.register_count()
    when = receipt.received_at.isoformat()
    if not added:
        click.echo(f"detainer received {when} was already recorded: nothing added")
    elif after == before:
        click.echo(f"detainer received {when}: a further receipt of a detainer already recorded")
    else:
        click.echo(f"detainer received {when} recorded (register: {after} detainers)")
    return 0


@detainer.command(
    name="import",
    epilog=block(
        "Example",
        "trustpolicy detainer import --db var/decisions.sqlite --source mailbox mailbox-2026.csv",
        "",
        "Columns (header row): received_at, district, form, basis (grounds separated by ;),",
        "received_via (may be left out: --source fills it), reference.",
    ),
)
@STORE
@KEY_FILE
@click.option(
    "--source",
    type=click.Choice(sorted(_SOURCES)),
    required=True,
    help="fax-log: a district's fax log (channel fax); mailbox: the central e-mail address.",
)
@click.argument("file")
def import_command(
    *, db: str, db_password_file: Path | None, key_file: Path | None, source: str, file: str
) -> int:
    """Import detainers from a CSV export, all rows or none (each bad row named by its line)."""
    text, name = read_input(file)
    key = RegisterKey.resolve(key_file)
    try:
        receipts = parse_csv(text, key, source=f"{source}:{name}", received_via=_SOURCES[source])
    except InvalidRequest as exc:
        return _problems(exc, f"{name}: {len(exc.problems)} bad row(s)")
    with open_store(db, db_password_file, must_exist=False) as store:
        before, _ = store.register_count()
        added = store.add_receipts(receipts, key)
        after, receipts_now = store.register_count()
    click.echo(
        f"{name}: {len(receipts)} rows, {added} new receipts ({len(receipts) - added} already "
        f"recorded), {after - before} new detainers; register: {after} detainers, "
        f"{receipts_now} receipts"
    )
    return 0


@detainer.command(
    epilog=block("Example", "trustpolicy detainer keygen /etc/trustpolicy/register.key")
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def keygen(*, file: Path) -> int:
    """Create a new register key file (32 random bytes, hex, mode 0600; never overwritten)."""
    path = RegisterKey.generate(file)
    click.echo(
        f"register key written to {path} (fingerprint {RegisterKey.from_file(path).fingerprint})"
    )
    return 0


@detainer.command(
    epilog=block(
        "Example",
        "trustpolicy detainer rekey --db var/decisions.sqlite --key-file old.key \\",
        "    --new-key-file new.key --out register-chain.key",
    )
)
@STORE
@KEY_FILE
@click.option(
    "--new-key-file",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The new key (from 'trustpolicy detainer keygen').",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the register's key afterwards (the chain; never overwritten).",
)
def rekey(
    *,
    db: str,
    db_password_file: Path | None,
    key_file: Path | None,
    new_key_file: Path,
    out: Path,
) -> int:
    """Re-key the register: every stored hash wrapped under the new key, in one transaction."""
    current = RegisterKey.resolve(key_file)
    chain = current.extended(RegisterKey.from_file(new_key_file))
    with open_store(db, db_password_file) as store:
        chain.write(out)  # first: a failure afterwards leaves the register as it was, key in hand
        count = store.rekey(current, RegisterKey.from_file(new_key_file))
    click.echo(
        f"register re-keyed: {count} hashes; its key is now {out} (fingerprint "
        f"{chain.fingerprint}); point $TRUSTPOLICY_REGISTER_KEY_FILE at it"
    )
    return 0
