"""Ask an OPA agent for Trust Act decisions, over one keep-alive HTTP session.

Fail closed: an unreachable or slow engine, an HTTP error, an undefined result or anything
that is not a decision document either raises a :class:`TrustPolicyError`
(``on_error="raise"``, the default) or becomes a ``deny`` decision with rule
``TP-ENGINE-01`` and the reason (``on_error="deny"``). Neither path ever allows.
A malformed request raises :class:`InvalidRequest` before anything is sent, in both modes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import requests
import urllib3

from trustpolicy.client._observe import CallCounter, DecisionHook, emit
from trustpolicy.contract._decision import Decision
from trustpolicy.contract._errors import (
    ConfigError,
    EngineConnectionRefused,
    EngineError,
    EngineHTTPError,
    EngineTimeout,
    EngineUnavailable,
    InvalidRequest,
    TrustPolicyError,
)
from trustpolicy.contract._models import DecisionRequest, check_input

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Self

__all__ = ["Client", "OnError"]

#: What a client does when it gets no usable decision: raise, or return a TP-ENGINE-01 deny.
OnError = Literal["raise", "deny"]

DEFAULT_URL = "http://127.0.0.1:8181"
DECISION_PATH = "trustpolicy/decision"
BATCH_PATH = "trustpolicy/batch"
REVISION_PATH = "trustpolicy/revision"
#: Answers worth another attempt: the agent restarting or overloaded (nothing was decided).
RETRY_STATUSES = frozenset({500, 502, 503, 504})
DEFAULT_POOL_SIZE = 10
# identity: OPA would gzip larger answers, which costs more than it saves on loopback.
_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "Accept-Encoding": "identity",
}


# -- shared by Client and AsyncClient: pure functions of bytes, no transport --------------


def as_request(request: DecisionRequest | Mapping[str, Any]) -> DecisionRequest:
    """Accept a DecisionRequest or an input document; raise InvalidRequest before any I/O."""
    if isinstance(request, DecisionRequest):
        return request
    if isinstance(request, Mapping):
        return DecisionRequest.from_dict(request)
    raise InvalidRequest([f"request: must be a DecisionRequest or a mapping, not {type(request)}"])


def _as_dict(value: object) -> dict[Any, Any]:
    """``json.dumps`` fallback: a nested mapping that is not a dict (already checked) as one."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def input_json(request: DecisionRequest | Mapping[str, Any]) -> bytes:
    """The input document as compact JSON; raise InvalidRequest before any I/O.

    A DecisionRequest was checked when it was built. A mapping gets the same one schema walk
    (every problem with its field path) and is then sent as given: no objects are built.
    """
    if isinstance(request, DecisionRequest):
        return request.to_json()
    if isinstance(request, Mapping):
        check_input(request)
        return json.dumps(request, separators=(",", ":"), default=_as_dict).encode()
    raise InvalidRequest([f"request: must be a DecisionRequest or a mapping, not {type(request)}"])


def batch_body(requests_: Iterable[DecisionRequest | Mapping[str, Any]]) -> tuple[bytes, int]:
    """Build the body of one batch query; return it with how many decisions it must yield."""
    parts = [input_json(r) for r in requests_]
    return b'{"input":{"requests":[' + b",".join(parts) + b"]}}", len(parts)


def check_mode(on_error: str) -> None:
    """Reject an unknown ``on_error`` at construction (a typo must not change the failure mode)."""
    if on_error not in ("raise", "deny"):
        raise ConfigError(f"on_error must be 'raise' or 'deny', not {on_error!r}")


def read_body(status: int, content: bytes, url: str) -> dict[str, Any]:
    """Decode OPA's answer; a non-200 answer or non-JSON becomes EngineError with OPA's message."""
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    if status != 200:  # noqa: PLR2004
        message = None
        if isinstance(body, dict):
            message = "; ".join(
                str(x) for x in (body.get("code"), body.get("message"), body.get("errors")) if x
            )
        text = message or content[:500].decode(errors="replace")
        raise EngineHTTPError("the policy engine answered with an error", url=url,
                              status=status, engine_message=text)  # fmt: skip
    if not isinstance(body, dict):
        raise EngineError("the policy engine's answer is not a JSON object", url=url, status=status)
    return body


def to_decision(body: dict[str, Any], url: str) -> Decision:
    """Turn ``{"result": ..., "decision_id": ...}`` into a Decision, or raise EngineError."""
    if "result" not in body:
        raise EngineError(
            "the decision is undefined: no policy answered at this path", url=url, status=200
        )
    try:
        return Decision.from_result(body["result"], decision_id=body.get("decision_id"))
    except InvalidRequest as exc:
        raise EngineError(
            "the engine's result is not a decision document",
            url=url,
            status=200,
            engine_message="; ".join(exc.problems),
        ) from exc


def to_decisions(body: dict[str, Any], url: str, count: int) -> list[Decision]:
    """Turn a batch answer into ``count`` decisions in order, or raise EngineError."""
    result = body.get("result")
    if not isinstance(result, list) or len(result) != count:
        got = "undefined" if result is None else f"{type(result).__name__}"
        if isinstance(result, list):
            got = f"{len(result)} results"
        raise EngineError(
            f"the batch answer is not a list of {count} decisions ({got})", url=url, status=200
        )
    decision_id = body.get("decision_id")
    return [
        to_decision({"result": r, "decision_id": batch_item_id(decision_id, i)}, url)
        for i, r in enumerate(result)
    ]


def batch_item_id(decision_id: object, position: int) -> str | None:
    """The id of the decision at ``position`` of a batch: OPA's decision id, ``/``, position.

    The collector stores each decision of a batch under the same id, so a decision an
    integrator holds can be found in the record.
    """
    return f"{decision_id}/{position}" if isinstance(decision_id, str) and decision_id else None


def transport_error(exc: BaseException, url: str, timeout: float) -> EngineUnavailable:
    """The typed EngineUnavailable for a transport failure: timeout, refused, or other."""
    seen: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in seen:
        seen.append(cause)
        reason = getattr(cause, "reason", None)  # urllib3's wrapped error (or a str)
        chained = cause.__cause__ or cause.__context__
        cause = reason if isinstance(reason, BaseException) else chained
    if any(isinstance(c, ConnectionRefusedError) for c in seen):
        return EngineConnectionRefused(
            "cannot reach the policy engine: connection refused (nothing listens there)", url=url
        )
    timeouts = (TimeoutError, requests.Timeout, urllib3.exceptions.TimeoutError)
    new_connection = urllib3.exceptions.NewConnectionError
    if any(isinstance(c, timeouts) and not isinstance(c, new_connection) for c in seen) or any(
        isinstance(c, urllib3.exceptions.EmptyPoolError) for c in seen
    ):
        return EngineTimeout(f"no answer within {timeout}s", url=url)
    return EngineUnavailable(f"cannot reach the policy engine: {exc}", url=url)


def engine_url(url: str) -> tuple[str, str, int, bool]:
    """Normalise the base URL: (base, host, port, https)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"url must be http(s)://host[:port], not {url!r}")
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    return url.rstrip("/"), parts.hostname, port, https


# -- the synchronous client -----------------------------------------------------------------


class Client:
    """Ask an OPA agent for decisions over keep-alive connections, without proxy lookups.

    ``timeout`` is a deadline for the whole call, retries included: a call never takes
    much longer than ``timeout`` seconds, and a late one raises :class:`EngineTimeout`.
    ``retries`` more attempts are made while the deadline allows, only where nothing was
    decided (connection failed, or HTTP 500/502/503/504). The errors are typed:
    :class:`EngineTimeout`, :class:`EngineConnectionRefused`, :class:`EngineHTTPError`
    (all :class:`EngineUnavailable`), or :class:`EngineError` for an unusable answer.

    Thread safety: one Client may be shared by any number of threads. Its connections
    come from one pool of ``pool_size`` (default 10); a thread that finds every connection
    busy waits for one (within its deadline) rather than opening a connection the pool
    would then discard, so a large thread pool never floods the agent or the log.

    Observability: each call logs on the ``trustpolicy.client`` logger (count, latency,
    failures; never the input or the token) and, if given, ``on_decision`` is called with
    a :class:`DecisionEvent` once per call (see :mod:`trustpolicy.client._observe`).

    Built on requests and urllib3 directly. It was built on opa-python-client's
    :class:`OpaClient` (issue 3), which gave only the session and the health check: its
    ``query_rule`` drops OPA's error body and returns ``{}`` for an undefined decision
    instead of failing, its ``bulk_query_rule`` runs an ad-hoc ``/v1/query`` (no
    decision-logged ``decision_id``) where we ask the policy's own ``batch`` rule, and its
    package imports aiohttp and aiofiles on import, which a client-only install (without
    ``trustpolicy[server]``) must not need (issue 16).
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
        check_mode(on_error)
        if not timeout > 0:
            raise ConfigError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if retries < 0 or pool_size < 1:
            raise ConfigError("retries must be >= 0 and pool_size >= 1")
        self.url, _, _, https = engine_url(url)
        self.timeout = timeout
        self.retries = retries
        self.on_error: OnError = on_error
        self.on_decision = on_decision
        self._decision_url = f"{self.url}/v1/data/{decision_path.strip('/')}"
        self._batch_url = f"{self.url}/v1/data/{batch_path.strip('/')}"
        self._revision_url = f"{self.url}/v1/data/{REVISION_PATH}"
        self._session = requests.Session()
        if token is not None:
            self._session.headers["Authorization"] = f"Bearer {token}"
        self._session.trust_env = False  # loopback and agents: never look up or use a proxy
        self._session.verify = verify
        self._session.headers.update(_HEADERS)
        # One bounded, blocking pool for every thread; retries are ours (see _post).
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=pool_size, pool_block=True, max_retries=0
        )
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        # Plain HTTP: decisions go straight to the adapter's urllib3 pool (see _send_fast).
        self._pool: urllib3.HTTPConnectionPool | None = None
        if not https:
            self._pool = adapter.poolmanager.connection_from_url(self.url)
        self._fast_headers = {k: str(v) for k, v in self._session.headers.items()}
        self._counter = CallCounter()

    def decide(self, request: DecisionRequest | Mapping[str, Any]) -> Decision:
        """Ask for one decision (``data.trustpolicy.decision``)."""
        body = b'{"input":' + input_json(request) + b"}"
        return self._call("decision", self._decision_url, body, 1)[0]

    def decide_many(
        self, requests_: Iterable[DecisionRequest | Mapping[str, Any]]
    ) -> list[Decision]:
        """Ask for many decisions in one round trip; order kept, each as ``decide`` gives it."""
        body, count = batch_body(requests_)
        if count == 0:
            return []
        return self._call("batch", self._batch_url, body, count)

    def health(self, *, bundles: bool = True) -> bool:
        """Whether the agent is up (and, with ``bundles``, has activated its bundles)."""
        url = f"{self.url}/health" + ("?bundles" if bundles else "")
        try:
            return self._session.get(url, timeout=self.timeout).status_code == 200  # noqa: PLR2004
        except (requests.RequestException, OSError):
            return False

    def policy_revision(self) -> str:
        """Return the revision of the policy bundle(s) the agent serves (``unbundled`` if none)."""
        body, _ = self._post(self._revision_url, b"{}", time.monotonic() + self.timeout)
        revision = body.get("result")
        if not isinstance(revision, str):
            raise EngineError("no policy revision at this path", url=self._revision_url)
        return revision

    def close(self) -> None:
        """Close the keep-alive connections."""
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(url={self.url!r}, on_error={self.on_error!r})"

    # -- internals -------------------------------------------------------------------------

    def _call(self, kind: str, url: str, body: bytes, count: int) -> list[Decision]:
        """POST ``body``; return ``count`` decisions (or fail closed); log and report it."""
        started = time.monotonic()
        tries: list[int] = []
        status: int | None = None
        decisions: Sequence[Decision] = ()
        error: TrustPolicyError | None = None
        try:
            answer, status = self._post(url, body, started + self.timeout, tries)
            if kind == "batch":
                decisions = to_decisions(answer, url, count)
            else:
                decisions = [to_decision(answer, url)]
        except TrustPolicyError as exc:
            error = exc
            if self.on_error == "raise":
                raise
            decisions = [Decision.engine_failure(str(exc))] * count
        finally:
            emit(self.on_decision, self._counter, decisions, kind=kind, url=url, count=count,
                 started=started, attempts=len(tries), status=status, error=error)  # fmt: skip
        return list(decisions)

    def _post(
        self, url: str, body: bytes, deadline: float, tries: list[int] | None = None
    ) -> tuple[dict[str, Any], int]:
        """POST until an answer, the retries are spent or the deadline passes.

        Return the decoded answer and the final HTTP status; ``tries`` gets one entry per
        attempt (so the caller knows how many were made, also when this raises).
        """
        tries = [] if tries is None else tries
        while True:
            tries.append(1)
            attempt = len(tries)
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise EngineTimeout(f"no answer within {self.timeout}s", url=url)
                status, content = self._send(url, body, remaining)
            except EngineUnavailable as exc:
                if isinstance(exc, EngineTimeout) or attempt > self.retries:
                    raise
            else:
                if status not in RETRY_STATUSES or attempt > self.retries:
                    return read_body(status, content, url), status
            # Nothing was decided: back off briefly, within the deadline, and try again.
            time.sleep(max(0.0, min(0.05 * 2 ** (attempt - 1), deadline - time.monotonic())))

    def _send(self, url: str, body: bytes, remaining: float) -> tuple[int, bytes]:
        """One HTTP attempt bounded by ``remaining`` seconds: (status, body) or typed error."""
        if self._pool is not None:
            try:
                resp = self._pool.urlopen(
                    "POST",
                    url,
                    body=body,
                    headers=self._fast_headers,
                    retries=False,
                    timeout=urllib3.Timeout(connect=remaining, read=remaining),
                    pool_timeout=remaining,  # type: ignore[arg-type] # a float works (queue)
                    assert_same_host=False,
                )
            except (OSError, urllib3.exceptions.HTTPError) as exc:
                raise transport_error(exc, url, self.timeout) from exc
            return resp.status, resp.data
        try:
            response = self._session.post(url, data=body, timeout=remaining)
        except (requests.RequestException, OSError) as exc:
            # OSError too: requests raises it bare for, e.g., a CA bundle path that is gone.
            raise transport_error(exc, url, self.timeout) from exc
        return response.status_code, response.content
