"""The published input schema's string and list limits, read from the copy in this package.

``minLength``, ``maxLength``, ``pattern``, ``format`` and ``maxItems`` are read at import
time from ``input_schema.json`` (a copy of ``policies/trustpolicy/schema/input/data.json``;
a test keeps the two files identical) and applied by the check in
:mod:`trustpolicy.contract._models`.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__: list[str] = []

#: The input schema (draft-07) as published in policies/trustpolicy/schema/input/data.json.
_INPUT_SCHEMA: Mapping[str, Any] = json.loads(
    importlib.resources.files("trustpolicy.contract")
    .joinpath("input_schema.json")
    .read_text("utf-8")
)

_GO_HEX = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")


def _python_pattern(go: str) -> str:
    r"""Translate a schema ``pattern`` (Go RE2, as OPA runs it) to Python :mod:`re`.

    ``\x{HHHH}`` becomes ``\UHHHHHHHH``; ``$`` outside a character class becomes ``\Z``,
    since Python's ``$`` also matches before a final newline and RE2's does not.
    """
    out: list[str] = []
    i, in_class = 0, False
    while i < len(go):
        char = go[i]
        if char == "\\":
            hexa = _GO_HEX.match(go, i)
            out.append(f"\\U{int(hexa[1], 16):08x}" if hexa else go[i : i + 2])
            i = hexa.end() if hexa else i + 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = r"\Z"
        out.append(char)
        i += 1
    return "".join(out)


@attrs.frozen
class _Limits:
    """The schema's keywords for one string or list field (``None``: no such keyword)."""

    min_length: int = 0
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    date_time: bool = False
    max_items: int | None = None


def _limits(node: Mapping[str, Any], items: Mapping[str, Any]) -> _Limits:
    pattern = items.get("pattern")
    return _Limits(
        min_length=items.get("minLength", 0),
        max_length=items.get("maxLength"),
        pattern=None if pattern is None else re.compile(_python_pattern(pattern), re.ASCII),
        date_time=items.get("format") == "date-time",
        max_items=node.get("maxItems") if node.get("type") == "array" else None,
    )
