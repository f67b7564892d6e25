"""Value objects: the Trust Act input document as attrs classes.

:class:`DecisionRequest` mirrors section 3 of the contract. It is checked once, when it is
built, by one schema walk whether it comes from a dict or is built by hand: every problem is
listed with its field path in one :class:`InvalidRequest`, and the compact JSON the engine
needs is computed then, so asking costs no further work.
The decision (section 4) lives in :mod:`trustpolicy._decision`.

The check accepts exactly what the published input schema accepts (JSON Schema draft-07,
``policies/trustpolicy/schema/input/data.json``, which OPA enforces as TP-INPUT-01). Its
structure (fields, required fields, enumerations, types) is the attrs classes below; its
string and list limits (``minLength``, ``maxLength``, ``pattern``, ``format``,
``maxItems``) are read at import time from ``input_schema.json``, a copy of that schema
shipped in this package (a test keeps the two files identical and the classes in step).
"""

from __future__ import annotations

import calendar
import contextvars
import enum
import importlib.resources
import json
import re
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, Self, TypeVar, cast

import attrs

from trustpolicy._errors import InvalidRequest

__all__ = [
    "Action",
    "Actor",
    "ActorRole",
    "Agency",
    "Authority",
    "AuthorityType",
    "CaseCategory",
    "Charge",
    "Counterpart",
    "CriminalCase",
    "DecisionRequest",
    "Information",
    "Issuer",
    "Operation",
    "OperationPurpose",
    "Purpose",
    "Severity",
    "Subject",
    "SubjectRole",
]

E = TypeVar("E", bound=enum.StrEnum)


class Action(enum.StrEnum):
    """What the officer or employee is about to do."""

    INQUIRE_STATUS = "inquire_status"
    DETAIN = "detain"
    ARREST = "arrest"
    TRANSFER_CUSTODY = "transfer_custody"
    SHARE_INFORMATION = "share_information"
    COMMIT_RESOURCES = "commit_resources"
    PERFORM_IMMIGRATION_FUNCTION = "perform_immigration_function"
    JOIN_OPERATION = "join_operation"
    RECEIVE_DETAINER = "receive_detainer"


class ActorRole(enum.StrEnum):
    """Who acts: the ordinance binds police officers and city employees."""

    POLICE_OFFICER = "police_officer"
    CITY_EMPLOYEE = "city_employee"


class SubjectRole(enum.StrEnum):
    """The person concerned."""

    SUSPECT = "suspect"
    ARRESTEE = "arrestee"
    VICTIM = "victim"
    WITNESS = "witness"
    CALLER = "caller"
    WORKER = "worker"
    OTHER = "other"


class Severity(enum.StrEnum):
    """Severity of a pending charge."""

    INFRACTION = "infraction"
    MISDEMEANOR = "misdemeanor"
    FELONY = "felony"
    SERIOUS_VIOLENT_FELONY = "serious_violent_felony"


class Agency(enum.StrEnum):
    """Who asks or receives; ICE-ERO, ICE-HSI, CBP and USCIS are immigration authorities."""

    ICE_ERO = "ICE-ERO"
    ICE_HSI = "ICE-HSI"
    CBP = "CBP"
    USCIS = "USCIS"
    FBI = "FBI"
    DEA = "DEA"
    ATF = "ATF"
    USMS = "USMS"
    STATE_POLICE = "STATE_POLICE"
    CITY_DEPARTMENT = "CITY_DEPARTMENT"
    COURT = "COURT"
    OTHER = "OTHER"


class AuthorityType(enum.StrEnum):
    """A document presented; only judicial criminal warrants and orders lift the rules."""

    CIVIL_DETAINER = "civil_detainer"
    ICE_ADMINISTRATIVE_WARRANT = "ice_administrative_warrant"
    REMOVAL_ORDER = "removal_order"
    JUDICIAL_CRIMINAL_WARRANT = "judicial_criminal_warrant"
    JUDICIAL_ORDER = "judicial_order"
    STATE_CRIMINAL_WARRANT = "state_criminal_warrant"
    CRIMINAL_PROBABLE_CAUSE = "criminal_probable_cause"


class Issuer(enum.StrEnum):
    """Who signed the document; an immigration judge is not a judicial officer here."""

    FEDERAL_JUDGE = "federal_judge"
    STATE_JUDGE = "state_judge"
    MAGISTRATE = "magistrate"
    IMMIGRATION_JUDGE = "immigration_judge"
    ICE_OFFICER = "ice_officer"


class Purpose(enum.StrEnum):
    """The stated purpose; a criminal purpose without a criminal case counts as civil."""

    CIVIL_IMMIGRATION_ENFORCEMENT = "civil_immigration_enforcement"
    CRIMINAL_INVESTIGATION = "criminal_investigation"
    VISA_CERTIFICATION = "visa_certification"
    CRIMINAL_HISTORY_CHECK = "criminal_history_check"
    PUBLIC_SAFETY = "public_safety"
    STATISTICS = "statistics"
    BENEFIT_ELIGIBILITY = "benefit_eligibility"
    OTHER = "other"


class CaseCategory(enum.StrEnum):
    """Kind of documented criminal case."""

    HUMAN_TRAFFICKING = "human_trafficking"
    NARCOTICS = "narcotics"
    WEAPONS = "weapons"
    CYBERCRIME = "cybercrime"
    FINANCIAL = "financial"
    DOCUMENT_FRAUD = "document_fraud"
    GANG = "gang"
    CHILD_EXPLOITATION = "child_exploitation"
    ILLEGAL_REENTRY = "illegal_reentry"
    OTHER = "other"


class Information(enum.StrEnum):
    """An item of information that would be shared."""

    NAME = "name"
    DATE_OF_BIRTH = "date_of_birth"
    HOME_ADDRESS = "home_address"
    WORK_ADDRESS = "work_address"
    PHONE = "phone"
    PHYSICAL_DESCRIPTION = "physical_description"
    PHOTO = "photo"
    INCIDENT_REPORT = "incident_report"
    RELEASE_DATE = "release_date"
    CUSTODY_STATUS = "custody_status"
    IMMIGRATION_STATUS = "immigration_status"
    CITIZENSHIP = "citizenship"
    CRIMINAL_HISTORY = "criminal_history"
    AGGREGATE_STATISTICS = "aggregate_statistics"


class OperationPurpose(enum.StrEnum):
    """Primary purpose of a joint operation."""

    IMMIGRATION_ENFORCEMENT = "immigration_enforcement"
    CRIMINAL_ENFORCEMENT = "criminal_enforcement"
    PUBLIC_SAFETY = "public_safety"


# -- converters: accept the enum or its string value; a bad value is kept as given so that
#    DecisionRequest can report it together with every other problem. ---------------------


def _coerce(kind: type[E], value: object) -> E:
    if isinstance(value, kind):
        return value
    try:
        return kind(cast("str", value))
    except (ValueError, TypeError):
        return cast("E", value)


def _many(kind: type[Any], value: object) -> Any:
    if isinstance(value, (list, tuple)):
        if issubclass(kind, enum.StrEnum):
            return tuple(_coerce(kind, v) for v in value)
        return tuple(value)
    return value


def _action(v: Action | str) -> Action:
    return _coerce(Action, v)


def _actor_role(v: ActorRole | str) -> ActorRole:
    return _coerce(ActorRole, v)


def _opt_subject_role(v: SubjectRole | str | None) -> SubjectRole | None:
    return None if v is None else _coerce(SubjectRole, v)


def _severity(v: Severity | str) -> Severity:
    return _coerce(Severity, v)


def _agency(v: Agency | str) -> Agency:
    return _coerce(Agency, v)


def _opt_agency(v: Agency | str | None) -> Agency | None:
    return None if v is None else _coerce(Agency, v)


def _authority_type(v: AuthorityType | str) -> AuthorityType:
    return _coerce(AuthorityType, v)


def _opt_issuer(v: Issuer | str | None) -> Issuer | None:
    return None if v is None else _coerce(Issuer, v)


def _opt_purpose(v: Purpose | str | None) -> Purpose | None:
    return None if v is None else _coerce(Purpose, v)


def _opt_category(v: CaseCategory | str | None) -> CaseCategory | None:
    return None if v is None else _coerce(CaseCategory, v)


def _op_purpose(v: OperationPurpose | str) -> OperationPurpose:
    return _coerce(OperationPurpose, v)


def _charges(v: Iterable[Charge] | None) -> tuple[Charge, ...] | None:
    return cast("tuple[Charge, ...] | None", _many(Charge, v))


def _agencies(v: Iterable[Agency | str] | None) -> tuple[Agency, ...] | None:
    return cast("tuple[Agency, ...] | None", _many(Agency, v))


def _authorities(v: Iterable[Authority] | None) -> tuple[Authority, ...] | None:
    return cast("tuple[Authority, ...] | None", _many(Authority, v))


def _information(v: Iterable[Information | str] | None) -> tuple[Information, ...] | None:
    return cast("tuple[Information, ...] | None", _many(Information, v))


# -- the input document ---------------------------------------------------------------------


@attrs.frozen
class Actor:
    """Who acts: ``agency`` (``BPD`` or a city department) and ``role``."""

    agency: str
    role: ActorRole = attrs.field(converter=_actor_role)
    district: str | None = None


@attrs.frozen
class Charge:
    """A pending charge against the subject."""

    severity: Severity = attrs.field(converter=_severity)


@attrs.frozen
class Subject:
    """The person concerned; release eligibility decides the detention rules."""

    role: SubjectRole | None = attrs.field(default=None, converter=_opt_subject_role)
    in_custody: bool | None = None
    eligible_for_release: bool | None = None
    charges: tuple[Charge, ...] | None = attrs.field(default=None, converter=_charges)


@attrs.frozen
class Counterpart:
    """Who asks or receives, and whom they are known to forward to."""

    agency: Agency = attrs.field(converter=_agency)
    forwards_to: tuple[Agency, ...] | None = attrs.field(default=None, converter=_agencies)


@attrs.frozen
class Authority:
    """A document presented, with who issued it."""

    type: AuthorityType = attrs.field(converter=_authority_type)
    issued_by: Issuer | None = attrs.field(default=None, converter=_opt_issuer)


@attrs.frozen
class CriminalCase:
    """A documented criminal case; without one a request counts as civil enforcement."""

    id: str
    statute: str | None = None
    category: CaseCategory | None = attrs.field(default=None, converter=_opt_category)


@attrs.frozen
class Operation:
    """A joint operation, by its primary purpose."""

    primary_purpose: OperationPurpose = attrs.field(converter=_op_purpose)
    partner: Agency | None = attrs.field(default=None, converter=_opt_agency)


# True only while DecisionRequest.from_dict builds the request whose input document it has
# just checked, so that __attrs_post_init__ does not walk the same data a second time. A
# request built any other way (by hand, attrs.evolve) is checked in __attrs_post_init__.
_PRECHECKED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "trustpolicy_prechecked", default=False
)


@attrs.frozen
class DecisionRequest:
    """The input document: "may I do this?". Invalid requests cannot be built.

    Raises :class:`InvalidRequest` listing every problem with its field path.
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
    occurred_at: str | None = None
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
        problems: list[str] = []
        _check(cls, data, "", problems)
        if problems:
            raise InvalidRequest(problems)
        kwargs = _load_kwargs(cls, data)
        token = _PRECHECKED.set(True)
        try:
            return cls(**kwargs)
        finally:
            _PRECHECKED.reset(token)


# -- the published schema's limits, read from the copy shipped in this package -------------

#: The input schema (draft-07) as published in policies/trustpolicy/schema/input/data.json.
_INPUT_SCHEMA: Mapping[str, Any] = json.loads(
    importlib.resources.files("trustpolicy").joinpath("input_schema.json").read_text("utf-8")
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


def _check(cls: type[Any], data: object, path: str, problems: list[str]) -> None:
    if not isinstance(data, Mapping):
        got = type(data.value if isinstance(data, _Wrong) else data).__name__
        problems.append(f"{path or 'request'}: must be {cls.__name__} (an object), not {got}")
        return
    unknown = sorted(str(k) for k in data if k not in _NAMES[cls])
    if unknown:
        problems.append(f"{path or 'request'}: unknown field(s) {', '.join(unknown)}")
    for f in _SPECS[cls]:
        where = f"{path}.{f.name}" if path else f.name
        value = data.get(f.name)
        if value is None:
            if f.required or f.name in data:
                problems.append(
                    f"{where}: required" if f.required else f"{where}: must not be null"
                )
            continue
        if not f.many:
            _check_one(f, value, where, problems)
        elif not isinstance(value, (list, tuple)):
            problems.append(f"{where}: must be a list")
        else:
            most = f.limits.max_items
            if most is not None and len(value) > most:
                problems.append(f"{where}: must have at most {most} items, not {len(value)}")
            for i, item in enumerate(value):
                _check_one(f, item, f"{where}[{i}]", problems)


def _check_one(f: _Field, value: object, where: str, problems: list[str]) -> None:
    kind = f.kind
    if kind in _SPECS:
        _check(kind, value, where, problems)
    elif kind is bool:
        if not isinstance(value, bool):
            problems.append(f"{where}: must be true or false")
    elif kind in _CHOICES:
        if not isinstance(value, str) or value not in kind._value2member_map_:
            problems.append(f"{where}: must be one of {_CHOICES[kind]}")
    elif not isinstance(value, str) or (not value and f.limits.min_length):
        problems.append(f"{where}: must be a {'non-empty ' if f.limits.min_length else ''}string")
    else:
        _check_text(f.limits, value, where, problems)


def _check_text(limits: _Limits, value: str, where: str, problems: list[str]) -> None:
    # Lengths count code points, as JSON Schema (and OPA) do. An empty string was reported.
    if len(value) < limits.min_length:
        problems.append(f"{where}: must be at least {limits.min_length} characters")
    if limits.max_length is not None and len(value) > limits.max_length:
        problems.append(
            f"{where}: must be at most {limits.max_length} characters, not {len(value)}"
        )
    if value and limits.pattern is not None and not limits.pattern.search(value):
        # The engine's wording (TP-INPUT-01); the schema's one pattern forbids exactly that.
        problems.append(f"{where}: contains control or invisible formatting characters")
    if limits.date_time and not _is_rfc3339(value):
        problems.append(f"{where}: must be an RFC 3339 date-time")


# RFC 3339 section 5.6 date-time, as both JSON Schema checkers read it: upper-case T and Z,
# seconds 00-59 (no leap second), year 0001-9999, a real calendar day. OPA's checker also
# takes a bare date or time, "," fractions and offsets past 23:59; the SDK does not.
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?"
    r"(?:Z|[+-]([0-9]{2}):([0-9]{2}))"
)


def _is_rfc3339(value: str) -> bool:
    match = _RFC3339.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    off_hour, off_minute = (int(g or 0) for g in match.groups()[6:])
    return (
        year >= 1
        and 1 <= month <= 12  # noqa: PLR2004
        and 1 <= day <= calendar.monthrange(year, month)[1]
        and hour <= 23  # noqa: PLR2004
        and off_hour <= 23  # noqa: PLR2004
        and max(minute, second, off_minute) <= 59  # noqa: PLR2004
    )


def check_input(data: Mapping[str, Any]) -> None:
    """Check an input document in one schema walk; raise InvalidRequest listing every problem."""
    problems: list[str] = []
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
