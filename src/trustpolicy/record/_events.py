"""From OPA decision-log events to decisions: one record for every decision made.

OPA logs one event per query. A query of ``data.trustpolicy.decision`` is one decision; a
query of ``data.trustpolicy.batch`` (``Client.decide_many``) is as many decisions as it
has requests, logged as one event whose input holds ``requests`` and whose result is the
list of their decisions. Each of those becomes its own record, with the id the client gave
it (OPA's decision id, ``/``, its position), its own input and its own result. A query that
is not a decision (``data.trustpolicy.revision``, asked by ``Client.policy_revision``) is
no record at all, so it can never be counted as one.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__: list[str] = []

REVISION_PATH = "trustpolicy/revision"


@attrs.frozen
class DecisionEvent:
    """One decision of a decision-log event, before masking: its id, input and result."""

    decision_id: str
    path: str
    input: Any
    result: Any
    error: Any


def _item_id(decision_id: str, position: int) -> str:
    # The same id trustpolicy.client._client.batch_item_id gives the decision it returns.
    return f"{decision_id}/{position}"


def decision_events(event: dict[str, Any]) -> list[DecisionEvent]:
    """Return the decisions one OPA event holds: none, one, or one per request of a batch."""
    decision_id = str(event["decision_id"])
    path = str(event.get("path", ""))
    result, error = event.get("result"), event.get("error")
    raw = event.get("input", {})
    if path == REVISION_PATH or not isinstance(result, (dict, list, type(None))):
        return []  # a query for the revision (or any non-decision value) decides nothing
    requests = raw.get("requests") if isinstance(raw, dict) else None
    batch = isinstance(result, list) or (path.endswith("/batch") and isinstance(requests, list))
    if not batch:
        return [DecisionEvent(decision_id, path, raw, result, error)]
    inputs = requests if isinstance(requests, list) else []
    results = result if isinstance(result, list) else []
    count = max(len(inputs), len(results))
    if count == 0:  # a failed batch whose requests did not reach us: still on the record
        return [DecisionEvent(decision_id, path, {}, None, error)]
    return [
        DecisionEvent(
            _item_id(decision_id, i),
            path,
            inputs[i] if i < len(inputs) else {},
            results[i] if i < len(results) else None,
            error if i >= len(results) else None,
        )
        for i in range(count)
    ]
