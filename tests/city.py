"""The city's real deployment on loopback, for the attack tests of issue 15.

A signed bundle of the real policies, the real bundle server, the real collector, and
departmental agents: ``opa run`` with exactly the configuration ``agent_config`` writes.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import requests

from trustpolicy.bundles._agent_config import agent_config, write_agent_config
from trustpolicy.bundles._bundle import build_bundle
from trustpolicy.bundles._signing import SigningKey, generate_signing_key, sign_bundle
from trustpolicy.contract._tokens import generate_token
from trustpolicy.engine._engine import LocalOPA

if TYPE_CHECKING:
    from collections.abc import Iterator

    from trustpolicy.bundles._bundle_server import BundleServer
    from trustpolicy.record._collector import Collector
    from trustpolicy.record._store import DecisionStore

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES: list[dict[str, Any]] = json.loads(
    (ROOT / "tests" / "data" / "worked-examples.json").read_text(encoding="utf-8")
)


def example(action: str, outcome: str) -> dict[str, Any]:
    """A fresh copy of the first worked example's input with this action and outcome."""
    found = next(
        e for e in EXAMPLES if e["input"]["action"] == action and e["expect"]["outcome"] == outcome
    )
    copy: dict[str, Any] = json.loads(json.dumps(found["input"]))
    return copy


@attrs.frozen
class City:
    """The city's signing key pair and its signed bundle of the real policies."""

    public: Path
    private: Path
    bundle: Path
    folder: Path


def build_city(folder: Path, policies: Path, revision: str = "rev-1") -> City:
    pair = generate_signing_key(folder / "keys", name="city")
    built = build_bundle(policies, folder / f"{revision}.tar.gz", revision=revision).path
    signed = sign_bundle(built, SigningKey.from_file(pair.private, key_id="city"))
    return City(public=pair.public, private=pair.private, bundle=signed, folder=folder)


@attrs.frozen
class Department:
    """One department's name and its two tokens (bundle server, collector)."""

    name: str
    bundle_token: str = attrs.field(factory=generate_token, repr=False)
    collector_token: str = attrs.field(factory=generate_token, repr=False)


@contextlib.contextmanager
def agent(
    city: City,
    department: Department,
    server: BundleServer,
    collector: Collector | None,
    folder: Path,
    **overrides: Any,
) -> Iterator[LocalOPA]:
    """A running agent with the configuration ``agent_config`` writes for ``department``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bundle.token").write_text(department.bundle_token)
    (folder / "collector.token").write_text(department.collector_token)
    options: dict[str, Any] = {
        "bundle_server_url": server.url,
        "public_key": city.public,
        "key_id": "city",
        "token_path": folder / "bundle.token",
        "min_delay_seconds": 1,
        "max_delay_seconds": 2,
        "long_polling_timeout_seconds": 10,
        "persistence_directory": folder / "persist",
        "department": department.name,
    }
    if collector is not None:
        options |= {
            "collector_url": collector.url,
            "collector_token_path": folder / "collector.token",
            "decision_log_delay_seconds": (1, 1),
        }
    config = write_agent_config(agent_config(**options | overrides), folder / "opa-config.yaml")
    with LocalOPA(config=config) as opa:
        yield opa


def decide(opa: LocalOPA, data: Any) -> dict[str, Any]:
    """Ask the agent over plain HTTP (as any API client could) and return the result."""
    answer = requests.post(
        f"{opa.url}/v1/data/trustpolicy/decision", json={"input": data}, timeout=10
    )
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def wait_for_count(store: DecisionStore, n: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while store.count() < n and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.count() == n, f"{store.count()} decisions stored, {n} expected"
