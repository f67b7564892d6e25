"""Shared fixtures: the pinned tools. A missing opa or regal fails the test, never skips it."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustpolicy import ToolNotFound, find_tool

ROOT = Path(__file__).resolve().parent.parent
WORKED_EXAMPLES = ROOT / "tests" / "data" / "worked-examples.json"


@pytest.fixture(scope="session")
def opa_bin() -> Path:
    try:
        return find_tool("opa")
    except ToolNotFound as exc:  # pragma: no cover - the failure is the point
        pytest.fail(f"opa is required for these tests: {exc}")


@pytest.fixture(scope="session")
def regal_bin() -> Path:
    try:
        return find_tool("regal")
    except ToolNotFound as exc:  # pragma: no cover
        pytest.fail(f"regal is required for these tests: {exc}")


@pytest.fixture(scope="session")
def policies() -> Path:
    return ROOT / "policies"


#: The detainer register's key in tests (the collector refuses to start without one).
TEST_REGISTER_KEY = "5e" * 32


@pytest.fixture(autouse=True)
def register_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with a register key in the environment, as a deployed collector does.

    A test of the refusal to start without a key removes it.
    """
    monkeypatch.delenv("TRUSTPOLICY_REGISTER_KEY_FILE", raising=False)
    monkeypatch.setenv("TRUSTPOLICY_REGISTER_KEY", TEST_REGISTER_KEY)
    return TEST_REGISTER_KEY
