"""Where a ``Client.decide`` spends its time beyond the raw call, piece by piece.

Each piece of the client path is timed alone over the same requests: encoding, the
request's validation and construction, decoding and parsing the decision, and the
transport (http.client, the SDK's own ``Connections`` that ``Client`` posts on, the
urllib3 pool it posted on before issue 17, and a requests session as opa-python-client
uses) with the same pre-encoded bodies, interleaved in blocks so drift hits all
transports alike.
"""

from __future__ import annotations

import http.client
import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import urllib3

from trustpolicy import Decision, DecisionRequest
from trustpolicy.client._shared import HEADERS as SDK_HEADERS
from trustpolicy.client._transport import Connections
from trustpolicy.contract._models import _check

if TYPE_CHECKING:
    from collections.abc import Callable

DECISION = "/v1/data/trustpolicy/decision"
HEADERS = {"Content-Type": "application/json", "Accept-Encoding": "identity"}
_BLOCK = 100
_REPEATS = 3


def _per_item(fn: Callable[[Any], object], items: list[Any]) -> float:
    """Best of a few passes, in seconds per item (in-process work, no I/O)."""
    best = float("inf")
    clock = time.perf_counter
    for _ in range(_REPEATS):
        t0 = clock()
        for item in items:
            fn(item)
        best = min(best, (clock() - t0) / len(items))
    return best


def _transports(url: str, bodies: list[bytes]) -> dict[str, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    conn = http.client.HTTPConnection(host, port, timeout=30)
    pool = urllib3.HTTPConnectionPool(host, port, maxsize=1, retries=urllib3.Retry(1))
    timeout = urllib3.Timeout(connect=30, read=30)
    session = requests.Session()
    full = url.rstrip("/") + DECISION
    sdk = Connections(host, port, https=False, verify=True, headers=SDK_HEADERS, pool_size=1)

    def sdk_post(body: bytes) -> bytes:
        return sdk.request("POST", DECISION, body, time.monotonic() + 30, [])[1]

    def raw(body: bytes) -> bytes:
        conn.request("POST", DECISION, body, HEADERS)
        return conn.getresponse().read()

    def pooled(body: bytes) -> bytes:
        resp = pool.urlopen(
            "POST", DECISION, body=body, headers=HEADERS, timeout=timeout, assert_same_host=False
        )
        return bytes(resp.data)

    def session_post(body: bytes) -> bytes:
        return session.post(full, data=body, headers=HEADERS, timeout=30).content

    ways = {
        "http.client": raw,
        "SDK": sdk_post,
        "urllib3 pool": pooled,
        "requests session": session_post,
    }
    totals = dict.fromkeys(ways, 0.0)
    clock = time.perf_counter
    for fn in ways.values():  # warm each connection
        fn(bodies[0])
    for start in range(0, len(bodies), _BLOCK):
        block = bodies[start : start + _BLOCK]
        names = list(ways)
        shift = (start // _BLOCK) % len(names)
        for name in names[shift:] + names[:shift]:
            fn = ways[name]
            t0 = clock()
            for body in block:
                fn(body)
            totals[name] += clock() - t0
    conn.close()
    sdk.close()
    pool.close()
    session.close()
    return {name: total / len(bodies) for name, total in totals.items()}


def _batch_receive(url: str, bodies: list[bytes], size: int = 1000) -> float:
    """OPA's cost to take a batch body and answer a trivial rule, per request in the batch."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    chunk = (bodies * (size // len(bodies) + 1))[:size]
    body = b'{"input":{"requests":[' + b",".join(b[9:-1] for b in chunk) + b"]}}"
    best = float("inf")
    for _ in range(10):
        t0 = time.perf_counter()
        conn.request("POST", "/v1/data/trustpolicy/revision", body, HEADERS)
        conn.getresponse().read()
        best = min(best, time.perf_counter() - t0)
    conn.close()
    return best / size


def measure(
    url: str, docs: list[dict[str, Any]], answers: dict[int, Any]
) -> list[tuple[str, float, str]]:
    """Per-request seconds of each piece, over ``docs`` (the first requests of the corpus)."""
    requests_ = [DecisionRequest.from_dict(d) for d in docs]
    results = [answers[i] for i in range(len(docs))]
    response_bodies = [json.dumps({"result": r}).encode() for r in results]
    bodies = [b'{"input":' + r.to_json() + b"}" for r in requests_]
    transport = _transports(url, bodies)
    batch_in = _batch_receive(url, bodies)
    validate = _per_item(lambda d: _check(DecisionRequest, d, "", []), docs)
    from_dict = _per_item(DecisionRequest.from_dict, docs)
    return [
        (
            "`json.dumps` of the input (raw and opa-python-client)",
            _per_item(lambda d: json.dumps({"input": d}).encode(), docs),
            "bench/variants.py RawHTTP",
        ),
        (
            "`DecisionRequest.from_dict`: total",
            from_dict,
            "_models.py `from_dict` → `__init__` → `__attrs_post_init__`",
        ),
        (
            "… of which the first schema walk (`_check` on the dict)",
            validate,
            "_models.py from_dict",
        ),
        (
            "… of which building the attrs objects, `_dump`, second `_check`, `json.dumps`",
            from_dict - validate,
            "_models.py `_load`, `__attrs_post_init__`",
        ),
        (
            "`json.loads` of the answer (every variant)",
            _per_item(json.loads, response_bodies),
            "client/_shared.py `read_body`",
        ),
        (
            "`Decision.from_result`",
            _per_item(Decision.from_result, results),
            "_models.py `Decision.from_result`",
        ),
        (
            "round trip, pre-encoded body, bytes back: `http.client`",
            transport["http.client"],
            "transport floor",
        ),
        (
            "round trip, same: the SDK's keep-alive connections (what `Client` posts on)",
            transport["SDK"],
            "client/_transport.py `Connections.request`",
        ),
        (
            "round trip, same: urllib3 pool (what `Client` posted on before issue 17)",
            transport["urllib3 pool"],
            "issue 16's `Client._send`",
        ),
        (
            "round trip, same: `requests.Session.post` (opa-python-client's transport)",
            transport["requests session"],
            "opa_client `query_rule`",
        ),
        (
            "OPA taking a 1,000-request batch body, answering a trivial rule (best of 10)",
            batch_in,
            "server floor of `decide_many`, per request",
        ),
    ]
