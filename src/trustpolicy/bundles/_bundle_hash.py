"""Hashing bundle files exactly as OPA does (``bundle/hash.go``), for their signatures.

JSON files (``.manifest``, ``data.json``, ``data.yaml``) are hashed over OPA's canonical
form (keys sorted, no whitespace, number literals as written); every other file over its
raw bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from trustpolicy.contract._errors import SignatureError

__all__ = ["file_hash"]

DEFAULT_HASH = "SHA-256"
#: OPA's hash names; hashlib's name is the lower case without the first dash.
_HASHES = frozenset({"MD5", "SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512"})
_HASHES |= {"SHA-512-224", "SHA-512-256"}
_STRUCTURED = frozenset({"data.json", "data.yaml", "signatures.json", ".manifest"})
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Literal(str):
    """A JSON number kept exactly as written, the way Go's ``json.Number`` keeps it."""

    __slots__ = ()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _go_string(text: str) -> str:
    """Encode a string as Go's ``encoding/json`` does with HTML escaping off."""
    text = _SURROGATE.sub("\ufffd", text)
    encoded = json.dumps(text, ensure_ascii=False)
    return encoded.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _canonical(value: Any, out: list[str]) -> None:
    """Write OPA's canonical form of a decoded JSON value (see OPA's ``bundle/hash.go``)."""
    if isinstance(value, dict):
        keys = {_SURROGATE.sub("\ufffd", k): v for k, v in value.items()}
        out.append("{")
        for i, key in enumerate(sorted(keys, key=lambda k: k.encode())):
            if i:
                out.append(",")
            out.append(_go_string(key))
            out.append(":")
            _canonical(keys[key], out)
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _canonical(item, out)
        out.append("]")
    else:
        out.append(_scalar(value))


def _scalar(value: Any) -> str:
    if isinstance(value, _Literal):
        return str.__str__(value)
    if isinstance(value, str):
        return _go_string(value)
    if value is None:
        return "null"
    return "true" if value else "false"


def _canonical_bytes(name: str, data: bytes) -> bytes:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        value = json.loads(
            data.decode("utf-8"),
            parse_int=_Literal,
            parse_float=_Literal,
            parse_constant=_reject_constant,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        hint = " (only JSON-compatible data.yaml can be hashed as OPA does)" * (
            name.endswith(".yaml")
        )
        raise SignatureError(f"cannot parse as JSON{hint}: {exc}", file=name) from exc
    out: list[str] = []
    _canonical(value, out)
    return "".join(out).encode()


def file_hash(name: str, data: bytes, algorithm: str = DEFAULT_HASH) -> str:
    """Hex digest of bundle file ``name`` as OPA computes it (canonical JSON or raw bytes)."""
    if algorithm not in _HASHES:
        raise SignatureError(f"unsupported hashing algorithm {algorithm!r}", file=name)
    if name.rsplit("/", 1)[-1] in _STRUCTURED:
        data = _canonical_bytes(name, data)
    hash_name = algorithm.lower().replace("-", "", 1).replace("-", "_")
    return hashlib.new(hash_name, data).hexdigest()
