"""Reading decision requests from text: one input document, a JSON array, or JSON Lines.

Every problem is reported as an :class:`InvalidRequest` whose problems name the source
(the file, with the line for JSON Lines, and the request's position in a batch) and the
field, so a command line can print it on one line.
"""

from __future__ import annotations

import json
from typing import Literal

from trustpolicy.contract._errors import InvalidRequest, Problem
from trustpolicy.contract._models import DecisionRequest

__all__ = ["InputKind", "load_requests"]

#: How the requests were given: a single document, a JSON array, or JSON Lines.
InputKind = Literal["one", "array", "lines"]


def _position(message: str) -> str:
    return " ".join(message.split())


def _documents(text: str, source: str) -> tuple[list[object], InputKind, list[str]]:
    """Return the JSON values in ``text`` with labels (``src``, ``src:3``, ``src[2]``)."""
    stripped = text.strip()
    if not stripped:
        raise InvalidRequest([f"{source}: no request found (empty input)"])
    try:
        value = json.loads(stripped)
    except ValueError as whole:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        if len(lines) < 2 or not stripped.startswith("{"):  # noqa: PLR2004
            raise InvalidRequest([f"{source}: invalid JSON: {_position(str(whole))}"]) from whole
        docs: list[object] = []
        for number, line in lines:
            try:
                docs.append(json.loads(line))
            except ValueError as exc:
                problem = f"{source}:{number}: invalid JSON: {_position(str(exc))}"
                raise InvalidRequest([problem]) from exc
        return docs, "lines", [f"{source}:{n}" for n, _ in lines]
    if isinstance(value, list):
        return value, "array", [f"{source}[{i}]" for i in range(len(value))]
    return [value], "one", [source]


def load_requests(text: str, source: str) -> tuple[list[DecisionRequest], InputKind]:
    """Parse ``text`` into requests; raise InvalidRequest naming the source and the fields."""
    docs, kind, labels = _documents(text, source)
    if not docs:
        raise InvalidRequest([f"{source}: the list of requests is empty"])
    requests: list[DecisionRequest] = []
    problems: list[Problem] = []
    for label, doc in zip(labels, docs, strict=True):
        if not isinstance(doc, dict):
            got = type(doc).__name__
            problems.append(Problem(label, f"must be a request object, not {got}"))
            continue
        try:
            requests.append(DecisionRequest.from_dict(doc))
        except InvalidRequest as exc:
            problems.extend(Problem(p.path, p.message, source=label) for p in exc.problems)
    if problems:
        raise InvalidRequest(problems)
    return requests, kind
