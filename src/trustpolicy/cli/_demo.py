"""The one-command demo: the whole distribution chain on loopback, then real cases.

A fresh development key signs a bundle built from ``policies/``; a :class:`BundleServer`
serves it (bearer token) to an OPA agent configured by :func:`agent_config`, which ships
its decision logs to a :class:`Collector`. The demo replays the Tara Construction case and
the contract's worked examples through the SDK, checks the worked examples against their
expected answers, and writes the annual report from the collector's store. Everything it
starts is stopped on the way out, and the temporary directory holding the development
private key and the tokens is removed on every exit path: an error, Ctrl-C, SIGTERM or
SIGHUP (turned into an interrupt while the demo runs); one left by a SIGKILL is removed by
the next demo run.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trustpolicy.bundles._agent_config import agent_config
from trustpolicy.bundles._bundle import build_bundle
from trustpolicy.bundles._bundle_server import BundleServer
from trustpolicy.bundles._signing import (
    SigningKey,
    VerificationKey,
    generate_signing_key,
    sign_bundle,
    verify_bundle,
)
from trustpolicy.cli._demo_cases import DemoCase, tara_construction
from trustpolicy.cli._demo_register import SeededYear, import_intake, seed_year
from trustpolicy.cli._demo_versions import then_and_now, write_impact_of_2017
from trustpolicy.cli._render import rule_summary
from trustpolicy.client._client import Client
from trustpolicy.contract._errors import CollectorError, ConfigError
from trustpolicy.contract._models import DecisionRequest
from trustpolicy.engine._engine import LocalOPA
from trustpolicy.engine._tools import OPA_VERSION, package_data, policies_dir, project_root
from trustpolicy.record._collector import Collector
from trustpolicy.record._reconcile import Reconciliation, read_ice_list, reconcile_store
from trustpolicy.record._register_key import RegisterKey
from trustpolicy.record._reimbursements import read_reimbursements
from trustpolicy.record._report import BOSTON, annual_report
from trustpolicy.record._report_pdf import render_pdf

if TYPE_CHECKING:
    from collections.abc import Sequence

    from trustpolicy.contract._decision import Decision
    from trustpolicy.record._store import DecisionStore

__all__ = ["check_expected", "run_demo", "worked_examples"]

# Narrowest width of the request column of the demo's table.
_TITLE_WIDTH = 62

Echo = Callable[[str], None]
KEY_ID = "demo"
AGENT = "bpd-district-d4"
_LOG_WAIT = 30.0
_WIDTH = 100
_TMP_PREFIX = "trustpolicy-demo-"
_OWNER = "demo.pid"
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """While the demo runs, SIGTERM and SIGHUP unwind it like Ctrl-C (so it cleans up)."""
    previous = {}
    try:
        for signum in _STOP_SIGNALS:
            previous[signum] = signal.signal(signum, _interrupt)
    except ValueError:  # not the main thread: nothing to install
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_stale(root: Path) -> None:
    """Remove demo directories (keys, tokens) whose demo process no longer exists."""
    for folder in root.glob(f"{_TMP_PREFIX}*"):
        try:
            pid = int((folder / _OWNER).read_text())
        except (OSError, ValueError):
            continue
        if folder.is_dir() and not folder.is_symlink() and not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)


def worked_examples(root: Path | None = None) -> tuple[DemoCase, ...]:
    """Return the contract's twelve worked examples (``tests/data/worked-examples.json``)."""
    base = root or project_root()
    shipped = package_data("worked-examples.json")  # the installed package's copy
    if base is None and shipped is not None:
        path = shipped
    else:
        path = (base or Path()) / "tests" / "data" / "worked-examples.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"worked examples not readable: {path}: {exc}") from exc
    return tuple(
        DemoCase(f"W{i}", str(case["name"]).split(" ", 1)[1], case["input"], case["expect"])
        for i, case in enumerate(raw, start=1)
    )


def check_expected(decision: Decision, expect: dict[str, Any]) -> list[str]:
    """Return how ``decision`` differs from an expected answer (empty when it matches)."""
    differences = []
    if decision.outcome.value != expect.get("outcome"):
        differences.append(f"outcome {decision.outcome.value}, expected {expect.get('outcome')}")
    for kind in ("violations", "exceptions", "escalations", "obligations"):
        got = sorted(f.rule for f in getattr(decision, kind))
        want = sorted(expect.get(kind, []))
        if got != want:
            differences.append(f"{kind} {got}, expected {want}")
    return differences


def _work_dir() -> Path:
    """``var/demo`` in the checkout (else a temp dir), emptied of the last run's outputs."""
    root = project_root()
    out = root / "var" / "demo" if root is not None else Path(tempfile.mkdtemp(prefix="tp-demo-"))
    out.mkdir(parents=True, exist_ok=True)
    for name in ("decisions.sqlite", "decisions.sqlite-wal", "decisions.sqlite-shm", "report.pdf"):
        (out / name).unlink(missing_ok=True)
    return out


def _secret_file(path: Path, value: str) -> Path:
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def _print_case(echo: Echo, case: DemoCase, decision: Decision, verdict: str, width: int) -> None:
    head = f"{case.label:<4}{case.title:<{width}}{decision.outcome.value.upper():<9}"
    echo(f"{head}{rule_summary(decision)}{verdict}")
    for line in decision.explain().splitlines()[1:]:
        echo(textwrap.fill(line, _WIDTH, initial_indent="      ", subsequent_indent="        "))


def _replay(
    echo: Echo, client: Client, title: str, cases: Sequence[DemoCase]
) -> tuple[set[str], list[str]]:
    """Ask about each case and print its row; return the policy revisions and what differed."""
    echo("")
    echo(f"{title} (esc: legal review, exc: exception applied, rec: must be recorded)")
    width = max(_TITLE_WIDTH, *(len(case.title) + 2 for case in cases))
    echo(f"{'#':<4}{'Request':<{width}}{'Outcome':<9}Provisions")
    echo("-" * _WIDTH)
    failures = []
    revisions = set()
    for case in cases:
        decision = client.decide(DecisionRequest.from_dict(case.input))
        revisions.add(decision.policy_revision or "(none)")
        verdict = ""
        if case.expect is not None:
            differences = check_expected(decision, case.expect)
            verdict = "  [as expected]" if not differences else "  [DIFFERS]"
            failures += [f"{case.label} {case.title}: {d}" for d in differences]
        _print_case(echo, case, decision, verdict, width)
    return revisions, failures


def _wait_for_logs(echo: Echo, store: DecisionStore, count: int) -> None:
    deadline = time.monotonic() + _LOG_WAIT
    while store.count() < count:
        if time.monotonic() > deadline:
            raise CollectorError(
                f"only {store.count()} of {count} decision logs arrived in {_LOG_WAIT:.0f}s"
            )
        time.sleep(0.1)
    echo(f"demo: {store.count()} decision logs stored in {store.path}")


def _register(
    echo: Echo, store: DecisionStore, key: RegisterKey, seeded: SeededYear, year: int
) -> Reconciliation:
    """Import the intake files, reconcile with ICE's list, and say what came of it."""
    rows, added = import_intake(store, key, seeded)
    echo(f"demo: intake: district fax log and central mailbox, {rows} rows, {added} new receipts")
    detainers, receipts = store.register_count()
    echo(
        f"demo: detainer register: {detainers} detainers from {receipts} receipts "
        f"(ICE lodged {seeded.lodged}; {seeded.never_recorded} never recorded, "
        f"{seeded.received_twice} received twice); references kept only as keyed hashes"
    )
    result = reconcile_store(store, read_ice_list(seeded.ice_list, key), year)
    echo(f"demo: reconciliation with ICE's list for {year}:")
    for label, count in result.totals().rows:
        echo(f"        {label:<34}{count:>5}")
    return result


def _report(
    echo: Echo, store: DecisionStore, out: Path, seeded: SeededYear, matched: Reconciliation
) -> None:
    year = datetime.now(BOSTON).year
    paid = read_reimbursements(seeded.finance)
    page = ""
    for fmt, suffix in (("markdown", "md"), ("html", "html")):
        path = out / f"report.{suffix}"
        text = annual_report(
            store,
            year,
            "html" if fmt == "html" else "markdown",
            reimbursements=paid,
            reconciliation=matched,
        )
        page = text if fmt == "html" else page
        path.write_text(text, encoding="utf-8")
        echo(f"demo: annual report {year} written to {path}")
    (out / "report.pdf").write_bytes(render_pdf(page))
    echo(f"demo: annual report {year} written to {out / 'report.pdf'} (rendered from the HTML)")


def run_demo(echo: Echo = print) -> int:
    """Run the demo; return 0 when every worked example gave its expected answer, else 1."""
    started = time.monotonic()
    out = _work_dir()
    _sweep_stale(Path(tempfile.gettempdir()))
    with (
        _signals_interrupt(),
        tempfile.TemporaryDirectory(prefix=_TMP_PREFIX) as tmp,
        contextlib.ExitStack() as stack,
    ):
        private = Path(tmp)
        (private / _OWNER).write_text(str(os.getpid()))
        echo(f"demo: OPA {OPA_VERSION}; outputs in {out}")
        pair = generate_signing_key(private / "keys", name=KEY_ID)
        echo(f"demo: development signing key (RS256, key id {KEY_ID!r}) in a temporary directory")
        info = build_bundle(policies_dir(), private / "trustpolicy.tar.gz")
        echo(
            f"demo: bundle built: revision {info.revision}, {info.size} bytes, "
            f"{len(info.provisions)} provisions"
        )
        signed = sign_bundle(info.path, SigningKey.from_file(pair.private, key_id=KEY_ID))
        verified = verify_bundle(signed, VerificationKey.from_file(pair.public, key_id=KEY_ID))
        echo(f"demo: bundle signed and verified ({len(verified.files)} files)")

        bundle_token = secrets.token_urlsafe(24)
        log_token = secrets.token_urlsafe(24)
        server = stack.enter_context(BundleServer({AGENT: bundle_token}, max_wait=5))
        server.publish(signed)
        echo(f"demo: bundle server on {server.url} (bearer token per agent)")
        register_key = RegisterKey.from_file(RegisterKey.generate(private / "register.key"))
        echo(f"demo: detainer register key (HMAC-SHA256) {register_key.fingerprint[:12]}...")
        collector = stack.enter_context(
            Collector(out / "decisions.sqlite", {AGENT: log_token}, register_key=register_key)
        )
        echo(f"demo: decision-log collector on {collector.url} -> {out / 'decisions.sqlite'}")
        config = agent_config(
            bundle_server_url=server.url,
            public_key=pair.public,
            key_id=KEY_ID,
            token_path=_secret_file(private / "bundle.token", bundle_token),
            min_delay_seconds=1,
            max_delay_seconds=2,
            long_polling_timeout_seconds=5,
            persistence_directory=private / "opa",
            collector_url=collector.url,
            collector_token_path=_secret_file(private / "logs.token", log_token),
            department=AGENT,
            decision_log_delay_seconds=(1, 1),
        )
        echo("demo: starting the OPA agent; it pulls the signed bundle and verifies it...")
        opa = stack.enter_context(LocalOPA(config=config))
        client = stack.enter_context(Client(opa.url, timeout=10.0))
        echo(f"demo: agent on {opa.url} has verified and activated the signed bundle")

        tara = tara_construction()
        revisions, _ = _replay(echo, client, "The 2017 Tara Construction case", tara)
        examples = worked_examples()
        more, failures = _replay(echo, client, "The contract's worked examples", examples)
        decided = len(tara) + len(examples)
        then_and_now(echo, signed, pair.public, KEY_ID)
        echo("")
        echo(
            f"demo: every decision names the policy revision {', '.join(sorted(revisions | more))}"
        )
        year = datetime.now(BOSTON).year
        seeded = seed_year(client, private, year)
        echo(
            f"demo: a year of detainers: {seeded.decisions} receipt and hold decisions asked "
            "of the agent, the rest from a fax log and the central mailbox"
        )
        echo("demo: waiting for the agent to ship its decision logs to the collector...")
        _wait_for_logs(echo, collector.store, decided + seeded.decisions)
        matched = _register(echo, collector.store, register_key, seeded, year)
        _report(echo, collector.store, out, seeded, matched)
        write_impact_of_2017(
            echo, collector.store, bundle=signed, public_key=pair.public, key_id=KEY_ID, out=out
        )
        echo("demo: stopping the agent, the collector and the bundle server")
    for failure in failures:
        echo(f"demo: worked example differs: {failure}")
    verdict = "all as expected" if not failures else f"{len(failures)} difference(s)"
    echo(
        f"demo: done in {time.monotonic() - started:.1f}s: {decided} decisions, "
        f"worked examples {verdict}"
    )
    return 0 if not failures else 1
