"""The ways of asking one OPA for decisions, each timed per call on a slice of the corpus.

A variant's ``run(docs)`` returns one latency sample per call (a call is one request, or
one batch for ``decide_many``) and one comparable result per request, in order: the raw
result document for the transport variants, a :class:`trustpolicy.Decision` for the SDK.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from typing import Any
from urllib.parse import urlsplit

from opa_client import OpaClient

from trustpolicy import AsyncClient, Client, Decision, DecisionRequest

DECISION = "/v1/data/trustpolicy/decision"
Samples = list[float]
Results = list[Any]


class Variant:
    """Base: a name, a batch size (1 for one request per call) and a run over a slice."""

    name = ""
    label = ""
    batch = 1
    sdk = False  # results are Decision objects

    def run(self, docs: list[dict[str, Any]]) -> tuple[Samples, Results]:
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""


class RawHTTP(Variant):
    """(2) the transport floor: one keep-alive http.client connection, json in and out."""

    name = "raw_http"
    label = "raw `http.client` keep-alive POST"

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=30
        )
        self.headers = {"Content-Type": "application/json"}

    def run(self, docs: list[dict[str, Any]]) -> tuple[Samples, Results]:
        conn, headers = self.conn, self.headers
        samples: Samples = []
        results: Results = []
        clock = time.perf_counter
        for doc in docs:
            t0 = clock()
            conn.request("POST", DECISION, json.dumps({"input": doc}).encode(), headers)
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                raise RuntimeError(f"raw_http: HTTP {resp.status}: {data[:300]!r}")
            result = json.loads(data)["result"]
            samples.append(clock() - t0)
            results.append(result)
        return samples, results

    def close(self) -> None:
        self.conn.close()


class OpaPythonClient(Variant):
    """(3) opa-python-client's own ``query_rule``: what a user would write without us."""

    name = "opa_client"
    label = "opa-python-client `query_rule`"

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.client = OpaClient(host=parts.hostname, port=parts.port, timeout=30)

    def run(self, docs: list[dict[str, Any]]) -> tuple[Samples, Results]:
        query = self.client.query_rule
        samples: Samples = []
        results: Results = []
        clock = time.perf_counter
        for doc in docs:
            t0 = clock()
            body = query(input_data=doc, package_path="trustpolicy", rule_name="decision")
            samples.append(clock() - t0)
            results.append(body["result"])
        return samples, results

    def close(self) -> None:
        self.client.close_connection()


class Decide(Variant):
    """(4) ``Client.decide``, sequential, from the input document (validation included)."""

    name = "decide"
    label = "`Client.decide` (from dict)"
    sdk = True

    def __init__(self, url: str) -> None:
        self.client = Client(url, timeout=30)

    def run(self, docs: list[Any]) -> tuple[Samples, Results]:
        decide = self.client.decide
        samples: Samples = []
        results: Results = []
        clock = time.perf_counter
        for doc in docs:
            t0 = clock()
            decision = decide(doc)
            samples.append(clock() - t0)
            results.append(decision)
        return samples, results

    def close(self) -> None:
        self.client.close()


class DecidePrebuilt(Decide):
    """(4b) ``Client.decide`` on a DecisionRequest built beforehand (validation not timed)."""

    name = "decide_prebuilt"
    label = "`Client.decide` (prebuilt `DecisionRequest`)"

    def __init__(self, url: str, prebuilt: dict[int, DecisionRequest]) -> None:
        super().__init__(url)
        self.prebuilt = prebuilt

    def run(self, docs: list[dict[str, Any]]) -> tuple[Samples, Results]:
        return super().run([self.prebuilt[id(d)] for d in docs])


class DecideMany(Variant):
    """(5) ``Client.decide_many`` in batches: one POST to the policy's ``batch`` rule each."""

    sdk = True

    def __init__(self, url: str, batch: int) -> None:
        self.client = Client(url, timeout=120)
        self.batch = batch
        self.name = f"decide_many_{batch}"
        self.label = f"`Client.decide_many`, batch {batch:,}"

    def run(self, docs: list[dict[str, Any]]) -> tuple[Samples, Results]:
        samples: Samples = []
        results: Results = []
        clock = time.perf_counter
        for i in range(0, len(docs), self.batch):
            chunk = docs[i : i + self.batch]
            t0 = clock()
            decisions = self.client.decide_many(chunk)
            samples.append(clock() - t0)
            results.extend(decisions)
        return samples, results

    def close(self) -> None:
        self.client.close()


class Async16(Variant):
    """(6) ``AsyncClient.decide`` with a fixed number of requests in flight."""

    sdk = True

    def __init__(self, url: str, in_flight: int = 16) -> None:
        self.runner = asyncio.Runner()
        self.client = AsyncClient(url, timeout=30)
        self.in_flight = in_flight
        self.name = f"async_{in_flight}"
        self.label = f"`AsyncClient.decide`, {in_flight} in flight"

    def run(self, docs: list[dict[str, Any]]) -> tuple[Samples, Results]:
        return self.runner.run(self._run(docs))

    async def _run(self, docs: list[dict[str, Any]]) -> tuple[Samples, Results]:
        samples: Samples = [0.0] * len(docs)
        results: Results = [None] * len(docs)
        todo = iter(range(len(docs)))
        clock = time.perf_counter
        decide = self.client.decide

        async def worker() -> None:
            for i in todo:
                t0 = clock()
                results[i] = await decide(docs[i])
                samples[i] = clock() - t0

        await asyncio.gather(*(worker() for _ in range(self.in_flight)))
        return samples, results

    def close(self) -> None:
        self.runner.run(self.client.close())
        self.runner.close()


def summary(result: Any) -> tuple[str, tuple[str, ...], ...]:
    """Outcome and the rule ids of each list: what every variant must agree on."""
    if isinstance(result, Decision):
        lists = (result.violations, result.exceptions, result.escalations, result.obligations)
        return (str(result.outcome), *(tuple(sorted(f.rule for f in x)) for x in lists))
    if not isinstance(result, dict):
        return ("<not a decision>", (repr(result)[:200],))
    keys = ("violations", "exceptions", "escalations", "obligations")
    return (
        str(result.get("outcome")),
        *(tuple(sorted(str(e.get("rule")) for e in result.get(k, []))) for k in keys),
    )
