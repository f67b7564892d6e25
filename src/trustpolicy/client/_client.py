"""Ask an OPA agent for Trust Act decisions, over one keep-alive HTTP session.

Fail closed: an unreachable or slow engine, an HTTP error, an undefined result or anything
that is not a decision document either raises a :class:`TrustPolicyError`
(``on_error="raise"``, the default) or becomes a ``deny`` decision with rule
``TP-ENGINE-01`` and the reason (``on_error="deny"``). Neither path ever allows.
A malformed request raises :class:`InvalidRequest` before anything is sent, in both modes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import requests
import urllib3
from opa_client import OpaClient

from trustpolicy.contract._decision import Decision
from trustpolicy.contract._errors import (
    ConfigError,
    EngineError,
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
        raise EngineError("the policy engine answered with an error", url=url, status=status,
                          engine_message=text)  # fmt: skip
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
    """Ask an OPA agent for decisions; one keep-alive session, no proxy lookups.

    Built on opa-python-client's :class:`OpaClient`, which gives the session (bearer token
    header, connection retries) and the health check. Its ``query_rule`` falls short for a
    fail-closed decision API, so decisions are posted on that session directly: it drops
    OPA's error body (``raise_for_status``), returns ``{}`` for an undefined decision
    instead of failing, re-encodes the input on every call, and its ``bulk_query_rule``
    runs an ad-hoc ``/v1/query`` (no decision-logged ``decision_id``, Rego text built from
    JSON) where we ask the policy's own ``batch`` rule.
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
    ) -> None:
        check_mode(on_error)
        self.url, host, port, https = engine_url(url)
        self.timeout = timeout
        self.on_error: OnError = on_error
        self._decision_url = f"{self.url}/v1/data/{decision_path.strip('/')}"
        self._batch_url = f"{self.url}/v1/data/{batch_path.strip('/')}"
        self._revision_url = f"{self.url}/v1/data/{REVISION_PATH}"
        self._opa = OpaClient(
            host=host, port=port, ssl=https, token=token, retries=retries, timeout=timeout
        )
        self._session: requests.Session = self._opa._session  # noqa: SLF001 - its configured session
        self._session.trust_env = False  # loopback and agents: never look up or use a proxy
        self._session.verify = verify
        self._session.headers.update(_HEADERS)
        # Plain HTTP: decisions go straight to the session's urllib3 pool (see _post_fast).
        adapter = self._session.get_adapter(self.url)
        self._pool: urllib3.HTTPConnectionPool | None = None
        if not https and isinstance(adapter, requests.adapters.HTTPAdapter):
            self._pool = adapter.poolmanager.connection_from_url(self.url)
        self._retry = (
            adapter.max_retries if isinstance(adapter, requests.adapters.HTTPAdapter) else 0
        )
        self._fast_headers = {k: str(v) for k, v in self._session.headers.items()}
        self._fast_timeout = urllib3.Timeout(connect=timeout, read=timeout)

    def decide(self, request: DecisionRequest | Mapping[str, Any]) -> Decision:
        """Ask for one decision (``data.trustpolicy.decision``)."""
        body = b'{"input":' + input_json(request) + b"}"
        try:
            return to_decision(self._post(self._decision_url, body), self._decision_url)
        except TrustPolicyError as exc:
            return self._fail(exc)

    def decide_many(
        self, requests_: Iterable[DecisionRequest | Mapping[str, Any]]
    ) -> list[Decision]:
        """Ask for many decisions in one round trip; order kept, each as ``decide`` gives it."""
        body, count = batch_body(requests_)
        if count == 0:
            return []
        try:
            return to_decisions(self._post(self._batch_url, body), self._batch_url, count)
        except TrustPolicyError as exc:
            return [self._fail(exc)] * count

    def health(self, *, bundles: bool = True) -> bool:
        """Whether the agent is up (and, with ``bundles``, has activated its bundles)."""
        return bool(self._opa.check_health({"bundles": "true"} if bundles else None))

    def policy_revision(self) -> str:
        """Return the revision of the policy bundle(s) the agent serves (``unbundled`` if none)."""
        body = self._post(self._revision_url, b"{}")
        revision = body.get("result")
        if not isinstance(revision, str):
            raise EngineError("no policy revision at this path", url=self._revision_url)
        return revision

    def close(self) -> None:
        """Close the keep-alive session."""
        self._opa.close_connection()

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

    def _post(self, url: str, body: bytes) -> dict[str, Any]:
        if self._pool is not None:
            return self._post_fast(self._pool, url, body)
        try:
            resp = self._session.post(url, data=body, timeout=self.timeout)
        except requests.Timeout as exc:
            raise EngineUnavailable(f"no answer within {self.timeout}s", url=url) from exc
        except (requests.RequestException, OSError) as exc:
            # OSError too: requests raises it bare for, e.g., a CA bundle path that is gone.
            raise EngineUnavailable(f"cannot reach the policy engine: {exc}", url=url) from exc
        return read_body(resp.status_code, resp.content, url)

    def _post_fast(self, pool: urllib3.HTTPConnectionPool, url: str, body: bytes) -> dict[str, Any]:
        """POST on the session's own urllib3 pool, skipping requests' per-call preparation.

        Same keep-alive connections and retry policy as the session; requests' preparation
        and response wrapping were most of the client's overhead on plain-HTTP loopback.
        """
        try:
            resp = pool.urlopen(
                "POST",
                url,
                body=body,
                headers=self._fast_headers,
                retries=self._retry,
                timeout=self._fast_timeout,
                assert_same_host=False,
            )
        except OSError as exc:
            raise EngineUnavailable(f"cannot reach the policy engine: {exc}", url=url) from exc
        except urllib3.exceptions.HTTPError as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(exc, urllib3.exceptions.TimeoutError) or isinstance(
                reason, urllib3.exceptions.ReadTimeoutError
            ):
                raise EngineUnavailable(f"no answer within {self.timeout}s", url=url) from exc
            raise EngineUnavailable(f"cannot reach the policy engine: {exc}", url=url) from exc
        return read_body(resp.status, resp.data, url)

    def _fail(self, exc: TrustPolicyError) -> Decision:
        if self.on_error == "deny":
            return Decision.engine_failure(str(exc))
        raise exc
