"""The Trust Act input document's enumerations, and the converters that accept them.

Each enumeration is one ``enum`` of the published input schema (section 3 of the contract);
the attrs classes in :mod:`trustpolicy.contract._models` take either the member or its string value.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "Action",
    "ActorRole",
    "Agency",
    "AuthorityType",
    "CaseCategory",
    "Information",
    "Issuer",
    "OperationPurpose",
    "Purpose",
    "Severity",
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


def _agencies(v: Iterable[Agency | str] | None) -> tuple[Agency, ...] | None:
    return cast("tuple[Agency, ...] | None", _many(Agency, v))


def _information(v: Iterable[Information | str] | None) -> tuple[Information, ...] | None:
    return cast("tuple[Information, ...] | None", _many(Information, v))
