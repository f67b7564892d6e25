"""Ask an OPA agent for Trust Act decisions, over keep-alive HTTP connections.

Fail closed: an unreachable or slow engine, an HTTP error, an undefined result or anything
that is not a decision document either raises a :class:`TrustPolicyError`
(``on_error="raise"``, the default) or becomes a ``deny`` decision with rule
``TP-ENGINE-01`` and the reason (``on_error="deny"``). Neither path ever allows.
A malformed request raises :class:`InvalidRequest` before anything is sent, in both modes.
"""

from __future__ import annotations

import http.client
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from trustpolicy.client import _shared
from trustpolicy.client._shared import (
    BATCH_PATH,
    DECISION_PATH,
    RETRY_STATUSES,
    Call,
    OnError,
    Settings,
    batch_body,
    decision_body,
    read_body,
    transport_error,
)
from trustpolicy.client._transport import Connections
from trustpolicy.contract._errors import (
    EngineError,
    EngineTimeout,
    EngineUnavailable,
    TrustPolicyError,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from types import TracebackType
    from typing import Self

    from trustpolicy.client._observe import DecisionHook
    from trustpolicy.contract._decision import Decision
    from trustpolicy.contract._models import DecisionRequest

__all__ = ["Client", "OnError"]

DEFAULT_URL = _shared.DEFAULT_URL  # the CLI takes the default agent from here
DEFAULT_POOL_SIZE = 10
#: What one attempt can raise that means "no answer": the socket, TLS, or HTTP framing.
_TRANSPORT_ERRORS = (OSError, http.client.HTTPException, ValueError)


class Client(Settings):
    """Ask an OPA agent for decisions over keep-alive connections, without proxy lookups.

    ``timeout`` is a deadline for the whole call, retries included: a call never takes
    much longer than ``timeout`` seconds, and a late one raises :class:`EngineTimeout`.
    ``retries`` more attempts are made while the deadline allows, only where nothing was
    decided (connection failed, or HTTP 500/502/503/504). The errors are typed:
    :class:`EngineTimeout`, :class:`EngineConnectionRefused`, :class:`EngineHTTPError`
    (all :class:`EngineUnavailable`), or :class:`EngineError` for an unusable answer.

    Thread safety: one Client may be shared by any number of threads. A call has a
    connection to itself (never shared with another thread while in use) from a pool of at
    most ``pool_size`` (default 10); one thread keeps reusing its own warm connection, and
    a thread that finds every connection busy waits for one (within its deadline) rather
    than opening more, so a large thread pool never floods the agent or the log.

    Transport: the standard library's ``http.client``, HTTP/1.1 keep-alive; no proxy and
    nothing else is taken from the environment; TLS with ``verify`` (``True``: certifi's
    CA bundle, as requests used; a CA file or directory; ``False``: no check). A keep-alive
    connection the agent dropped is replaced, and a request it dropped unanswered on a
    reused connection is resent once (see :mod:`trustpolicy.client._transport` for why
    that is safe). ``close()`` closes the connections; a later call opens new ones.

    Observability: each call logs on the ``trustpolicy.client`` logger (count, latency,
    failures; never the input or the token) and, if given, ``on_decision`` is called with
    a :class:`DecisionEvent` once per call (see :mod:`trustpolicy.client._observe`).

    It was built on opa-python-client's :class:`OpaClient` (issue 3), then on requests and
    urllib3 (issue 16), and since issue 17 on ``http.client`` directly: the urllib3 pool cost
    about a tenth of a decision's round trip in per-call objects (retry, timeout, header
    dict, response wrappers) that a keep-alive POST does not need. opa-python-client's
    ``query_rule`` drops OPA's error body and returns ``{}`` for an undefined decision
    instead of failing, its ``bulk_query_rule`` runs an ad-hoc ``/v1/query`` (no
    decision-logged ``decision_id``) where we ask the policy's own ``batch`` rule, and its
    package imports aiohttp and aiofiles on import, which a client-only install (without
    ``trustpolicy[server]``) must not need.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        token: str | None = None,
        timeout: float = 2.0,
        retries: int = 1,
        on_error: OnError = "raise",
        verify: bool | str = True,
        decision_path: str = DECISION_PATH,
        batch_path: str = BATCH_PATH,
        pool_size: int = DEFAULT_POOL_SIZE,
        on_decision: DecisionHook | None = None,
    ) -> None:
        super().__init__(url, token=token, timeout=timeout, retries=retries,
                         on_error=on_error, decision_path=decision_path,
                         batch_path=batch_path, pool_size=pool_size,
                         on_decision=on_decision)  # fmt: skip
        self._connections = Connections(
            self._host,
            self._port,
            https=self._https,
            verify=verify,
            headers=self._headers,
            pool_size=pool_size,
        )
        self._paths: dict[str, str] = {}

    def decide(self, request: DecisionRequest | Mapping[str, Any]) -> Decision:
        """Ask for one decision (``data.trustpolicy.decision``)."""
        return self._call("decision", decision_body(request), 1)[0]

    def decide_many(
        self, requests_: Iterable[DecisionRequest | Mapping[str, Any]]
    ) -> list[Decision]:
        """Ask for many decisions in one round trip; order kept, each as ``decide`` gives it."""
        body, count = batch_body(requests_)
        if count == 0:
            return []
        return self._call("batch", body, count)

    def health(self, *, bundles: bool = True) -> bool:
        """Whether the agent is up (and, with ``bundles``, has activated its bundles)."""
        url = f"{self.url}/health" + ("?bundles" if bundles else "")
        try:
            status, _ = self._send("GET", url, None, time.monotonic() + self.timeout, [])
        except EngineUnavailable:
            return False
        return status == 200  # noqa: PLR2004

    def policy_revision(self) -> str:
        """Return the revision of the policy bundle(s) the agent serves (``unbundled`` if none)."""
        body, _ = self._post(self._revision_url, b"{}", time.monotonic() + self.timeout)
        revision = body.get("result")
        if not isinstance(revision, str):
            raise EngineError("no policy revision at this path", url=self._revision_url)
        return revision

    def close(self) -> None:
        """Close the keep-alive connections (a later call opens new ones)."""
        self._connections.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------

    def _call(self, kind: str, body: bytes, count: int) -> list[Decision]:
        """POST ``body``; return ``count`` decisions (or fail closed); log and report it."""
        call = Call(self, kind, count)
        try:
            return call.decisions(self._post(call.url, body, call.deadline, call.tries))
        except TrustPolicyError as exc:
            return call.failed(exc)
        finally:
            call.report()

    def _post(
        self, url: str, body: bytes, deadline: float, tries: list[int] | None = None
    ) -> tuple[dict[str, Any], int]:
        """POST until an answer, the retries are spent or the deadline passes.

        Return the decoded answer and the final HTTP status; ``tries`` gets one entry per
        HTTP request written (so the caller knows how many were made, also when this raises).
        """
        tries = [] if tries is None else tries
        attempt = 0
        while True:
            attempt += 1
            try:
                status, content = self._send("POST", url, body, deadline, tries)
            except EngineUnavailable as exc:
                if isinstance(exc, EngineTimeout) or attempt > self.retries:
                    raise
            else:
                if status not in RETRY_STATUSES or attempt > self.retries:
                    return read_body(status, content, url), status
            # Nothing was decided: back off briefly, within the deadline, and try again.
            time.sleep(max(0.0, min(0.05 * 2 ** (attempt - 1), deadline - time.monotonic())))

    def _send(
        self, method: str, url: str, body: bytes | None, deadline: float, tries: list[int]
    ) -> tuple[int, bytes]:
        """One attempt bounded by ``deadline``: (status, body) or a typed EngineUnavailable."""
        path = self._paths.get(url)
        if path is None:
            parts = urlsplit(url)
            path = self._paths[url] = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            return self._connections.request(method, path, body, deadline, tries)
        except _TRANSPORT_ERRORS as exc:  # TimeoutError is an OSError
            raise transport_error(exc, url, self.timeout) from exc
