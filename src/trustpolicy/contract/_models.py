"""Value objects: the Trust Act input document as attrs classes.

:class:`DecisionRequest` mirrors section 3 of the contract. It is checked once, when it is
built, by one schema walk whether it comes from a dict or is built by hand: every problem is
listed with its field path in one :class:`InvalidRequest`, and the compact JSON the engine
needs is computed then, so asking costs no further work.
The nested objects are in :mod:`trustpolicy.contract._parts`, the times in
:mod:`trustpolicy.contract._times`; the decision (section 4) lives in
:mod:`trustpolicy.contract._decision`.

The check accepts exactly what the published input schema accepts (JSON Schema draft-07,
``policies/trustpolicy/schema/input/data.json``, which OPA enforces as TP-INPUT-01). Its
structure (fields, required fields, types) is the attrs classes below, its enumerations
are in :mod:`trustpolicy.contract._enums`; its string and list limits (``minLength``,
``maxLength``, ``pattern``, ``format``, ``maxItems``) are read at import time by
:mod:`trustpolicy.contract._limits` from ``input_schema.json``, a copy of that schema shipped in
this package (a test keeps the two files identical and the classes in step).
"""

from __future__ import annotations

import contextvars
import enum
import json
import types
import typing
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Self, cast

import attrs

from trustpolicy.contract._enums import (
    Action,
    Information,
    Purpose,
    _action,
    _information,
    _many,
    _opt_purpose,
)
from trustpolicy.contract._errors import InvalidRequest, Problem
from trustpolicy.contract._limits import _INPUT_SCHEMA, _Limits, _limits
from trustpolicy.contract._parts import (
    Actor,
    Authority,
    Charge,
    Counterpart,
    CriminalCase,
    Detainer,
    Operation,
    Subject,
)
from trustpolicy.contract._times import NAIVE, _moment, is_naive, is_rfc3339

__all__ = ["DecisionRequest"]

# The RFC 3339 check by the name the collector's projection (record room) imports it by.
_is_rfc3339 = is_rfc3339

# The nested classes of the document, by the names the annotations below use (the schema
# walk resolves them with typing.get_type_hints, so they are needed at run time).
_PARTS = (Actor, Charge, Counterpart, CriminalCase, Detainer, Operation, Subject)


def _authorities(v: Iterable[Authority] | None) -> tuple[Authority, ...] | None:
    return cast("tuple[Authority, ...] | None", _many(Authority, v))


# True only while DecisionRequest.from_dict builds the request whose input document it has
# just checked, so that __attrs_post_init__ does not walk the same data a second time. A
# request built any other way (by hand, attrs.evolve) is checked in __attrs_post_init__.
_PRECHECKED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "trustpolicy_prechecked", default=False
)


@attrs.frozen
class DecisionRequest:
    """The input document: "may I do this?". Invalid requests cannot be built.

    ``occurred_at`` (an aware datetime or an RFC 3339 string, kept as RFC 3339 text) is when
    the act happens and selects the law in force; without it the engine applies the law of
    the day of the decision. Raises :class:`InvalidRequest` listing every problem with its
    field path.
    """

    action: Action = attrs.field(converter=_action)
    actor: Actor
    subject: Subject | None = None
    counterpart: Counterpart | None = None
    authority: tuple[Authority, ...] | None = attrs.field(default=None, converter=_authorities)
    purpose: Purpose | None = attrs.field(default=None, converter=_opt_purpose)
    criminal_case: CriminalCase | None = None
    information: tuple[Information, ...] | None = attrs.field(default=None, converter=_information)
    operation: Operation | None = None
    occurred_at: str | None = attrs.field(default=None, converter=_moment)
    detainer: Detainer | None = None
    _json: bytes = attrs.field(init=False, repr=False, eq=False, default=b"")

    def __attrs_post_init__(self) -> None:
        data = _dump(self)
        if _PRECHECKED.get():
            # from_dict checked the input document this object is built from: one walk.
            _PRECHECKED.set(False)  # and it covers this one construction only
        else:
            check_input(data)
        object.__setattr__(self, "_json", json.dumps(data, separators=(",", ":")).encode())

    def to_input(self) -> dict[str, Any]:
        """Return the input document as JSON-ready data; unset optional fields are omitted."""
        return _dump(self)

    def to_json(self) -> bytes:
        """Return the input document as compact UTF-8 JSON, computed once at construction."""
        return self._json

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from an input document; unknown fields and every other problem are reported."""
        problems: list[Problem] = []
        _check(cls, data, "", problems)
        if problems:
            raise InvalidRequest(problems)
        kwargs = _load_kwargs(cls, data)
        token = _PRECHECKED.set(True)
        try:
            return cls(**kwargs)
        finally:
            _PRECHECKED.reset(token)


# -- one walker per direction, driven by the class annotations ---------------------------


@attrs.frozen
class _Field:
    name: str
    kind: Any
    required: bool
    many: bool
    limits: _Limits
    schema: Mapping[str, Any] = attrs.field(eq=False, repr=False)  # the value's (item's) node


def _fields_of(cls: type[Any], node: Mapping[str, Any]) -> tuple[_Field, ...]:
    hints = typing.get_type_hints(cls)
    properties = node.get("properties", {})
    out = []
    for f in attrs.fields(cls):
        if not f.init:
            continue
        hint = hints[f.name]
        args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        inner = [a for a in args if a is not type(None)]
        kind = inner[0]
        many = typing.get_origin(kind) is tuple
        if many:
            kind = typing.get_args(kind)[0]
        prop = properties.get(f.name, {})
        items = prop.get("items", {}) if many else prop
        required = f.default is attrs.NOTHING
        out.append(_Field(f.name, kind, required, many, _limits(prop, items), items))
    return tuple(out)


def _specs(
    cls: type[Any], node: Mapping[str, Any], out: dict[type[Any], tuple[_Field, ...]]
) -> dict[type[Any], tuple[_Field, ...]]:
    out[cls] = spec = _fields_of(cls, node)
    for f in spec:
        if attrs.has(f.kind):
            _specs(f.kind, f.schema, out)
    return out


_SPECS = _specs(DecisionRequest, _INPUT_SCHEMA, {})
_NAMES = {c: frozenset(f.name for f in spec) for c, spec in _SPECS.items()}
_CHOICES = {
    k: ", ".join(m.value for m in k)
    for spec in _SPECS.values()
    for f in spec
    if isinstance(k := f.kind, type) and issubclass(k, enum.StrEnum)
}


class _Wrong:
    """A value of the wrong Python type where an attrs object belongs (reported, not sent)."""

    def __init__(self, value: object) -> None:
        self.value = value


def _dump(obj: object) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in _SPECS[type(obj)]:
        value = getattr(obj, f.name)
        if value is None:
            continue
        if f.many and isinstance(value, tuple):
            out[f.name] = [_dump_one(f.kind, v) for v in value]
        else:
            out[f.name] = _dump_one(f.kind, value)
    return out


def _dump_one(kind: Any, value: object) -> Any:
    if kind in _SPECS:
        return _dump(value) if type(value) is kind else _Wrong(value)
    return value.value if isinstance(value, enum.Enum) else value


def _check(cls: type[Any], data: object, path: str, problems: list[Problem]) -> None:
    if not isinstance(data, Mapping):
        got = type(data.value if isinstance(data, _Wrong) else data).__name__
        problems.append(
            Problem(path or "request", f"must be {cls.__name__} (an object), not {got}")
        )
        return
    unknown = sorted(str(k) for k in data if k not in _NAMES[cls])
    if unknown:
        problems.append(Problem(path or "request", f"unknown field(s) {', '.join(unknown)}"))
    for f in _SPECS[cls]:
        where = f"{path}.{f.name}" if path else f.name
        value = data.get(f.name)
        if value is None:
            if f.required or f.name in data:
                problems.append(Problem(where, "required" if f.required else "must not be null"))
            continue
        if not f.many:
            _check_one(f, value, where, problems)
        elif not isinstance(value, (list, tuple)):
            problems.append(Problem(where, "must be a list"))
        else:
            most = f.limits.max_items
            if most is not None and len(value) > most:
                problems.append(Problem(where, f"must have at most {most} items, not {len(value)}"))
            for i, item in enumerate(value):
                _check_one(f, item, f"{where}[{i}]", problems)


def _check_one(f: _Field, value: object, where: str, problems: list[Problem]) -> None:
    kind = f.kind
    if kind in _SPECS:
        _check(kind, value, where, problems)
    elif kind is bool:
        if not isinstance(value, bool):
            problems.append(Problem(where, "must be true or false"))
    elif kind in _CHOICES:
        if not isinstance(value, str) or value not in kind._value2member_map_:
            problems.append(Problem(where, f"must be one of {_CHOICES[kind]}"))
    elif f.limits.date_time and isinstance(value, datetime):
        if is_naive(value):  # an aware one is taken, and kept as its RFC 3339 text
            problems.append(Problem(where, NAIVE))
    elif not isinstance(value, str) or (not value and f.limits.min_length):
        empty = "non-empty " if f.limits.min_length else ""
        problems.append(Problem(where, f"must be a {empty}string"))
    else:
        _check_text(f.limits, value, where, problems)


def _check_text(limits: _Limits, value: str, where: str, problems: list[Problem]) -> None:
    # Lengths count code points, as JSON Schema (and OPA) do. An empty string was reported.
    if len(value) < limits.min_length:
        problems.append(Problem(where, f"must be at least {limits.min_length} characters"))
    if limits.max_length is not None and len(value) > limits.max_length:
        most = limits.max_length
        problems.append(Problem(where, f"must be at most {most} characters, not {len(value)}"))
    if value and limits.pattern is not None and not limits.pattern.search(value):
        # The engine's wording (TP-INPUT-01); the schema's one pattern forbids exactly that.
        problems.append(Problem(where, "contains control or invisible formatting characters"))
    if limits.date_time and not is_rfc3339(value):
        problems.append(Problem(where, "must be an RFC 3339 date-time"))


def check_input(data: Mapping[str, Any]) -> None:
    """Check an input document in one schema walk; raise InvalidRequest listing every problem."""
    problems: list[Problem] = []
    _check(DecisionRequest, data, "", problems)
    if problems:
        raise InvalidRequest(problems)


def _load_kwargs(cls: type[Any], data: Mapping[str, Any]) -> dict[str, Any]:
    # Read each field exactly as _check read it (``get``; a present null was reported there).
    kwargs: dict[str, Any] = {}
    for f in _SPECS[cls]:
        value = data.get(f.name)
        if value is None:
            continue
        if f.kind in _SPECS:
            value = [_load(f.kind, v) for v in value] if f.many else _load(f.kind, value)
        kwargs[f.name] = value
    return kwargs


def _load(cls: type[Any], data: Mapping[str, Any]) -> object:
    return cls(**_load_kwargs(cls, data))
