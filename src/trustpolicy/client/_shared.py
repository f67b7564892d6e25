"""What :class:`Client` and :class:`AsyncClient` share: settings, bodies, answers, errors.

Everything here is a pure function of bytes or a plain holder of settings: no transport.
The two clients differ only in how a body reaches the agent (``http.client`` connections
per thread, or an aiohttp session); building the body, reading the answer, failing closed
and reporting the call are written once, here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

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

__all__ = ["OnError"]

#: What a client does when it gets no usable decision: raise, or return a TP-ENGINE-01 deny.
OnError = Literal["raise", "deny"]

DEFAULT_URL = "http://127.0.0.1:8181"
DECISION_PATH = "trustpolicy/decision"
BATCH_PATH = "trustpolicy/batch"
REVISION_PATH = "trustpolicy/revision"
#: Answers worth another attempt: the agent restarting or overloaded (nothing was decided).
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# identity: OPA would gzip larger answers, which costs more than it saves on loopback.
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "Accept-Encoding": "identity",
    "User-Agent": "trustpolicy-client",
}


class Settings:
    """The configuration both clients take, checked once; the URLs and headers they use."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None,
        timeout: float,
        retries: int,
        on_error: OnError,
        decision_path: str,
        batch_path: str,
        pool_size: int,
        on_decision: DecisionHook | None,
    ) -> None:
        check_mode(on_error)
        if not timeout > 0:
            raise ConfigError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if retries < 0 or pool_size < 1:
            raise ConfigError("retries must be >= 0 and pool_size >= 1")
        for name, path in (("decision_path", decision_path), ("batch_path", batch_path)):
            if not path.strip("/") or any(c in path for c in " \t\r\n?#%"):
                raise ConfigError(f"{name}: must be a rule path like trustpolicy/decision")
        self.url, self._host, self._port, self._https = engine_url(url)
        self.timeout = timeout
        self.retries = retries
        self.on_error: OnError = on_error
        self.on_decision = on_decision
        self._pool_size = pool_size
        self._decision_url = f"{self.url}/v1/data/{decision_path.strip('/')}"
        self._batch_url = f"{self.url}/v1/data/{batch_path.strip('/')}"
        self._revision_url = f"{self.url}/v1/data/{REVISION_PATH}"
        self._headers = dict(HEADERS)
        if token is not None:
            if not all("!" <= c <= "~" for c in token):
                # A bearer token is visible ASCII (RFC 6750); anything else would corrupt or
                # add header lines, so it is refused here rather than sent.
                raise ConfigError("token: must be printable ASCII without spaces or line breaks")
            self._headers["Authorization"] = f"Bearer {token}"
        self._counter = CallCounter()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, on_error={self.on_error!r})"


class Call:
    """One call's bookkeeping: its deadline, its attempts, and how it ended (for the report).

    ``decisions`` turns the decoded answer into ``count`` decisions, ``failed`` applies the
    client's ``on_error`` (re-raise, or the fail-closed deny for every decision asked for),
    ``report`` logs the call and hands it to the ``on_decision`` hook.
    """

    __slots__ = ("count", "decided", "error", "kind", "settings", "started", "status", "tries")

    def __init__(self, settings: Settings, kind: str, count: int) -> None:
        self.settings = settings
        self.kind = kind
        self.count = count
        self.started = time.monotonic()
        self.tries: list[int] = []
        self.status: int | None = None
        self.decided: list[Decision] = []
        self.error: TrustPolicyError | None = None

    @property
    def url(self) -> str:
        s = self.settings
        return s._batch_url if self.kind == "batch" else s._decision_url  # noqa: SLF001

    @property
    def deadline(self) -> float:
        return self.started + self.settings.timeout

    def decisions(self, answer: tuple[dict[str, Any], int]) -> list[Decision]:
        body, self.status = answer
        if self.kind == "batch":
            self.decided = to_decisions(body, self.url, self.count)
        else:
            self.decided = [to_decision(body, self.url)]
        return self.decided

    def failed(self, exc: TrustPolicyError) -> list[Decision]:
        self.error = exc
        if self.settings.on_error == "raise":
            raise exc
        self.decided = [Decision.engine_failure(str(exc))] * self.count
        return self.decided

    def report(self) -> None:
        s = self.settings
        emit(s.on_decision, s._counter, self.decided, kind=self.kind, url=self.url,  # noqa: SLF001
             count=self.count, started=self.started, attempts=len(self.tries),
             status=self.status, error=self.error)  # fmt: skip


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


def decision_body(request: DecisionRequest | Mapping[str, Any]) -> bytes:
    """The body of one decision query."""
    return b'{"input":' + input_json(request) + b"}"


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


def _not_a_decision(exc: InvalidRequest, url: str, where: str = "") -> EngineError:
    return EngineError(
        "the engine's result is not a decision document",
        url=url,
        status=200,
        engine_message=where + "; ".join(exc.problems),
    )


def to_decision(body: dict[str, Any], url: str) -> Decision:
    """Turn ``{"result": ..., "decision_id": ...}`` into a Decision, or raise EngineError."""
    if "result" not in body:
        raise EngineError(
            "the decision is undefined: no policy answered at this path", url=url, status=200
        )
    try:
        return Decision.from_result(body["result"], decision_id=body.get("decision_id"))
    except InvalidRequest as exc:
        raise _not_a_decision(exc, url) from exc


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
    parse = Decision.from_result
    decisions = []
    for i, item in enumerate(result):
        try:
            decisions.append(parse(item, decision_id=batch_item_id(decision_id, i)))
        except InvalidRequest as exc:
            raise _not_a_decision(exc, url, f"result[{i}]: ") from exc
    return decisions


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
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, ConnectionRefusedError) for c in seen):
        return EngineConnectionRefused(
            "cannot reach the policy engine: connection refused (nothing listens there)", url=url
        )
    if any(isinstance(c, TimeoutError) for c in seen):  # socket.timeout, aiohttp's too
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
