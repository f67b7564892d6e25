"""pytest fixtures that run the pinned OPA, for your own integration tests.

Enable them in your top-level ``conftest.py``::

    pytest_plugins = ["trustpolicy.testing"]

``local_opa`` serves the package's policies (or ``$TRUSTPOLICY_POLICIES``) once per test
session on a free loopback port; ``trustpolicy_client`` is a :class:`Client` bound to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from trustpolicy.client._client import Client
from trustpolicy.engine._engine import LocalOPA

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["local_opa", "trustpolicy_client"]


@pytest.fixture(scope="session")
def local_opa() -> Iterator[LocalOPA]:
    """Serve the Trust Act policies from the pinned OPA for the whole test session."""
    with LocalOPA() as opa:
        yield opa


@pytest.fixture
def trustpolicy_client(local_opa: LocalOPA) -> Iterator[Client]:
    """Give a fail-closed (raising) :class:`Client` bound to ``local_opa``."""
    with Client(local_opa.url) as client:
        yield client
