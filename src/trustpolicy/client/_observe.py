"""What a client tells the world about its calls: the ``trustpolicy`` logger and a hook.

Every call logs on ``trustpolicy.client`` (a child of the ``trustpolicy`` logger): one
DEBUG line per answered call (running call count, path, status, latency, attempts), one
WARNING per failed call (the error's kind and status). Never the input, never a token,
never OPA's error text (which could quote either). The optional ``on_decision`` hook gets
one :class:`DecisionEvent` per call, for metrics or tracing (an OpenTelemetry span, a
Prometheus histogram); an exception in the hook is logged and never changes the decision.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from trustpolicy.contract._errors import EngineError, TrustPolicyError

if TYPE_CHECKING:
    from trustpolicy.contract._decision import Decision

__all__ = ["DecisionEvent"]

LOG = logging.getLogger("trustpolicy.client")
# A library logs only where the application configured logging: no "last resort" stderr.
logging.getLogger("trustpolicy").addHandler(logging.NullHandler())


@attrs.frozen
class DecisionEvent:
    """One call of a client, as the ``on_decision`` hook sees it (no input, no token).

    ``kind`` is ``"decision"`` or ``"batch"``; ``count`` the decisions asked for;
    ``latency`` the seconds the call took, retries included; ``attempts`` the HTTP
    requests it made; ``outcomes`` and ``decision_ids`` one per decision (empty when the
    call raised); ``error`` the failure, if any (in ``on_error="deny"`` mode the outcomes
    are then the fail-closed denies).
    """

    kind: str
    url: str
    count: int
    latency: float
    attempts: int
    status: int | None
    outcomes: tuple[str, ...] = ()
    decision_ids: tuple[str, ...] = ()
    error: TrustPolicyError | None = None


DecisionHook = Callable[[DecisionEvent], None]


class CallCounter:
    """A thread-safe count of a client's calls and failures (for the log lines)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.failures = 0

    def add(self, *, failed: bool) -> tuple[int, int]:
        """Count one call; return the running (calls, failures)."""
        with self._lock:
            self.calls += 1
            self.failures += int(failed)
            return self.calls, self.failures


def emit(
    hook: DecisionHook | None,
    counter: CallCounter,
    decisions: Sequence[Decision],
    **fields: Any,
) -> None:
    """Log the call and hand it to the hook (whose errors are logged, never raised).

    ``fields`` are :class:`DecisionEvent`'s (``latency`` given as the call's start time,
    ``started``). Without a hook, an error or DEBUG logging this only counts the call.
    """
    started = fields.pop("started")
    if hook is None and fields["error"] is None and not LOG.isEnabledFor(logging.DEBUG):
        counter.add(failed=False)
        return
    event = DecisionEvent(latency=time.monotonic() - started, **fields)
    if decisions:
        event = attrs.evolve(
            event,
            outcomes=tuple(d.outcome.value for d in decisions),
            decision_ids=tuple(d.decision_id or "" for d in decisions),
        )
    calls, failures = counter.add(failed=event.error is not None)
    millis = event.latency * 1000
    if event.error is None:
        LOG.debug(
            "call %d: %s POST %s: HTTP %s in %.1f ms, %d attempt(s), %d decision(s)",
            calls, event.kind, event.url, event.status, millis, event.attempts, event.count,
        )  # fmt: skip
    else:
        status = event.error.status if isinstance(event.error, EngineError) else event.status
        LOG.warning(
            "call %d (failure %d): %s POST %s failed after %.1f ms, %d attempt(s): %s%s",
            calls, failures, event.kind, event.url, millis, event.attempts,
            type(event.error).__name__, f" (HTTP {status})" if status else "",
        )  # fmt: skip
    if hook is None:
        return
    try:
        hook(event)
    except Exception:  # a metrics bug must not change a decision
        LOG.exception("the on_decision hook raised (the decision is unaffected)")
