"""The nested objects of the input document (section 3 of the contract) as attrs classes.

Each takes an enumeration member or its string value; :class:`DecisionRequest`
(:mod:`trustpolicy.contract._models`) checks the whole document in one walk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import attrs

from trustpolicy.contract._enums import (
    ActorRole,
    Agency,
    AuthorityType,
    CaseCategory,
    DetainerBasis,
    DetainerForm,
    Issuer,
    OperationPurpose,
    ReceivedVia,
    Severity,
    SubjectRole,
    _actor_role,
    _agencies,
    _agency,
    _authority_type,
    _bases,
    _many,
    _op_purpose,
    _opt_agency,
    _opt_category,
    _opt_form,
    _opt_issuer,
    _opt_received_via,
    _opt_subject_role,
    _severity,
)
from trustpolicy.contract._times import _moment

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "Actor",
    "Authority",
    "Charge",
    "Counterpart",
    "CriminalCase",
    "Detainer",
    "Operation",
    "Subject",
]


def _charges(v: Iterable[Charge] | None) -> tuple[Charge, ...] | None:
    return cast("tuple[Charge, ...] | None", _many(Charge, v))


def _authorities(v: Iterable[Authority] | None) -> tuple[Authority, ...] | None:
    return cast("tuple[Authority, ...] | None", _many(Authority, v))


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


@attrs.frozen
class Detainer:
    """A detainer request as received (for ``receive_detainer`` and ``detain``).

    ``reference`` is the number printed on the form: the register keeps it only as a keyed
    hash. ``received_at`` takes an aware datetime or an RFC 3339 string.
    """

    form: DetainerForm | None = attrs.field(default=None, converter=_opt_form)
    basis: tuple[DetainerBasis, ...] | None = attrs.field(default=None, converter=_bases)
    received_via: ReceivedVia | None = attrs.field(default=None, converter=_opt_received_via)
    received_at: str | None = attrs.field(default=None, converter=_moment)
    reference: str | None = None
