"""Candidate fixes to the SDK's decision path, measured beside the shipped client.

Both are in the SDK now (issue 17): fix A in ``input_json``, fix B as the client's own
transport (``client/_transport.py``, which also sends each request in one write). These
subclasses of :class:`trustpolicy.Client` keep the measured alternatives, interleaved
request by request with the raw call; they must return exactly the decisions the shipped
client returns.

- Fix A, validate only: a mapping is checked by one schema walk (``_check``) and sent as
  given (``json.dumps``); no attrs objects are built, no second walk runs.
- Fix B, http.client transport: plain-HTTP decisions go on one keep-alive
  ``http.client.HTTPConnection`` instead of the urllib3 pool (headers and body leave in
  one ``send``; none of urllib3's per-call retry, timeout and header-dict objects).
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from trustpolicy import Client, Decision, DecisionRequest, InvalidRequest, LocalOPA
from trustpolicy.client._shared import HEADERS, as_request, read_body, to_decision, to_decisions
from trustpolicy.contract._models import _check

if TYPE_CHECKING:
    from collections.abc import Callable

DECISION = "/v1/data/trustpolicy/decision"


def body_validate_only(request: DecisionRequest | Mapping[str, Any]) -> bytes:
    """Fix A: the request body with one schema walk for a mapping, no object graph."""
    if isinstance(request, Mapping):
        problems: list[str] = []
        _check(DecisionRequest, request, "", problems)
        if problems:
            raise InvalidRequest(problems)
        return b'{"input":' + json.dumps(request, separators=(",", ":")).encode() + b"}"
    return b'{"input":' + as_request(request).to_json() + b"}"


class FixA(Client):
    """``Client`` with fix A."""

    def decide(self, request: DecisionRequest | Mapping[str, Any]) -> Decision:
        body = body_validate_only(request)
        answer, _ = self._post(self._decision_url, body, time.monotonic() + self.timeout)
        return to_decision(answer, self._decision_url)

    def decide_many(
        self, requests_: Iterable[DecisionRequest | Mapping[str, Any]]
    ) -> list[Decision]:
        parts = [body_validate_only(r)[9:-1] for r in requests_]
        body = b'{"input":{"requests":[' + b",".join(parts) + b"]}}"
        answer, _ = self._post(self._batch_url, body, time.monotonic() + self.timeout)
        return to_decisions(answer, self._batch_url, len(parts))


class FixB(Client):
    """``Client`` with fix B (no reconnect logic: enough for a measurement)."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        parts = urlsplit(url)
        self._conn = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=self.timeout
        )
        self._paths: dict[str, str] = {}

    def _post(
        self, url: str, body: bytes, deadline: float, tries: list[int] | None = None
    ) -> tuple[dict[str, Any], int]:
        if tries is not None:
            tries.append(1)
        self._conn.timeout = max(0.001, deadline - time.monotonic())
        path = self._paths.get(url) or self._paths.setdefault(url, urlsplit(url).path)
        self._conn.request("POST", path, body, HEADERS)
        resp = self._conn.getresponse()
        return read_body(resp.status, resp.read(), url), resp.status

    def close(self) -> None:
        self._conn.close()
        super().close()


class FixAB(FixB):
    """``Client`` with fixes A and B."""

    def decide(self, request: DecisionRequest | Mapping[str, Any]) -> Decision:
        body = body_validate_only(request)
        answer, _ = self._post(self._decision_url, body, time.monotonic() + self.timeout)
        return to_decision(answer, self._decision_url)


def measure(
    url: str, docs: list[dict[str, Any]], bad: list[dict[str, Any]]
) -> tuple[list[tuple[str, float, float]], list[str]]:
    """Median µs per request of each client beside raw, and any disagreement found."""
    problems = []
    for doc in bad:
        try:
            body_validate_only(doc)
            problems.append(f"fix A accepted a malformed request: {json.dumps(doc)[:80]}")
        except InvalidRequest:
            pass
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    headers = {"Content-Type": "application/json"}

    def raw(doc: dict[str, Any]) -> Any:
        conn.request("POST", DECISION, json.dumps({"input": doc}).encode(), headers)
        return json.loads(conn.getresponse().read())["result"]

    def trivial(_: dict[str, Any]) -> Any:
        conn.request("POST", "/v1/data/trustpolicy/revision", b"{}", headers)
        return json.loads(conn.getresponse().read())["result"]

    clients = [Client(url, timeout=30), FixA(url, timeout=30), FixB(url, timeout=30)]
    clients.append(FixAB(url, timeout=30))
    ways: dict[str, Callable[[dict[str, Any]], Any]] = {
        "raw `http.client` (2)": raw,
        "`Client.decide` as shipped (4)": clients[0].decide,
        "fix A: validate only": clients[1].decide,
        "fix B: http.client transport": clients[2].decide,
        "fixes A + B": clients[3].decide,
        "raw round trip of a trivial rule (no policy)": trivial,
    }
    names = list(ways)
    times: dict[str, list[float]] = {k: [] for k in names}
    for fn in ways.values():
        fn(docs[0])
    clock = time.perf_counter
    for i, doc in enumerate(docs):
        got = {}
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            t0 = clock()
            got[name] = ways[name](doc)
            times[name].append(clock() - t0)
        shipped = got[names[1]]
        if any(got[n] != shipped for n in names[2:5]):
            problems.append(f"a fix changed the decision of request #{i}")
    conn.close()
    for c in clients:
        c.close()
    base = statistics.median(times[names[0]])
    rows = [(n, statistics.median(times[n]), statistics.median(times[n]) / base) for n in names]
    return rows, problems


# A policy that costs nothing to evaluate but answers with a real decision document: what
# is left of decide and decide_many is the transport, OPA's HTTP and JSON work, and the SDK.
_FREE_POLICY = """package trustpolicy

decision := {"outcome": "deny", "allowed": false, "violations": [{"rule": "BTA-DET-01",
  "title": "No detention on a civil detainer", "citation": "Boston Trust Act (2019) § 2",
  "message": "A civil detainer is not a criminal warrant: release the person.",
  "confidence": "text"}], "exceptions": [], "escalations": [],
  "obligations": [{"rule": "BTA-RPT-01", "message": "Record the detainer request."}],
  "policy": {"revision": "free"}}

batch := [decision | some _ in input.requests]

revision := "free"
"""


def ceiling(
    docs: list[dict[str, Any]], batch: int = 1000
) -> tuple[list[tuple[str, float, float]], list[tuple[str, float, float]]]:
    """The same clients against a policy that costs nothing to evaluate.

    Returns the per-request medians of :func:`measure` there, and for the shipped client and
    fix A the decisions per second of ``decide`` and of ``decide_many`` in batches.
    """
    rows = []
    with TemporaryDirectory(prefix="trustpolicy-free-") as tmp:
        (Path(tmp) / "free.rego").write_text(_FREE_POLICY)
        with LocalOPA(policies=[tmp], decision_logs=False) as opa:
            medians, _ = measure(opa.url, docs, [])
            for name, client in (("shipped", Client(opa.url, timeout=60)),
                                 ("fix A", FixA(opa.url, timeout=60))):  # fmt: skip
                client.decide(docs[0])
                client.decide_many(docs[:batch])
                seq = many = float("inf")
                for _ in range(3):  # alternate, best pass of each: load spikes hit both
                    t0 = time.perf_counter()
                    for doc in docs:
                        client.decide(doc)
                    seq = min(seq, time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    for i in range(0, len(docs), batch):
                        client.decide_many(docs[i : i + batch])
                    many = min(many, time.perf_counter() - t0)
                client.close()
                rows.append((name, len(docs) / seq, len(docs) / many))
    return medians, rows
