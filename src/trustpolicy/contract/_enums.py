"""The Trust Act input document's enumerations, and the converters that accept them.

Each enumeration is one ``enum`` of the published input schema (section 3 of the contract);
the attrs classes in :mod:`trustpolicy.contract._models` take either the member or its string value.
The string values are spelt out again as ``Literal`` types, so that a type checker refuses a
misspelt value (``role="police_oficer"``) as it refuses a misspelt member; a test keeps each
``Literal`` equal to its enumeration.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "Action",
    "ActorRole",
    "Agency",
    "AuthorityType",
    "CaseCategory",
    "DetainerBasis",
    "DetainerForm",
    "Information",
    "Issuer",
    "OperationPurpose",
    "Purpose",
    "ReceivedVia",
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
    CONSULAR_NOTIFICATION = "consular_notification"
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


class DetainerForm(enum.StrEnum):
    """The federal form a detainer request came on (I-247A is the civil detainer request)."""

    I_247A = "I-247A"
    I_247D = "I-247D"
    I_247N = "I-247N"
    I_203 = "I-203"
    OTHER = "other"


class DetainerBasis(enum.StrEnum):
    """A ground checked on the detainer form; none of them is a judicial warrant."""

    FINAL_ORDER_OF_REMOVAL = "final_order_of_removal"
    REMOVAL_PROCEEDINGS_PENDING = "removal_proceedings_pending"
    BIOMETRIC_RECORDS_MATCH = "biometric_records_match"
    STATEMENTS_OR_EVIDENCE = "statements_or_evidence"


class ReceivedVia(enum.StrEnum):
    """How the detainer request reached the department."""

    FAX = "fax"
    EMAIL = "email"
    ELECTRONIC = "electronic"
    IN_PERSON = "in_person"
    OTHER = "other"


# -- the values as literal types: what a caller may pass instead of the member --------------

ActionValue = Literal[
    "inquire_status", "detain", "arrest", "transfer_custody", "share_information",
    "commit_resources", "perform_immigration_function", "join_operation", "receive_detainer",
]  # fmt: skip
ActorRoleValue = Literal["police_officer", "city_employee"]
SubjectRoleValue = Literal["suspect", "arrestee", "victim", "witness", "caller", "worker", "other"]
SeverityValue = Literal["infraction", "misdemeanor", "felony", "serious_violent_felony"]
AgencyValue = Literal[
    "ICE-ERO", "ICE-HSI", "CBP", "USCIS", "FBI", "DEA", "ATF", "USMS", "STATE_POLICE",
    "CITY_DEPARTMENT", "COURT", "OTHER",
]  # fmt: skip
AuthorityTypeValue = Literal[
    "civil_detainer", "ice_administrative_warrant", "removal_order",
    "judicial_criminal_warrant", "judicial_order", "state_criminal_warrant",
    "criminal_probable_cause",
]  # fmt: skip
IssuerValue = Literal[
    "federal_judge", "state_judge", "magistrate", "immigration_judge", "ice_officer"
]
PurposeValue = Literal[
    "civil_immigration_enforcement", "criminal_investigation", "visa_certification",
    "criminal_history_check", "public_safety", "statistics", "benefit_eligibility",
    "consular_notification", "other",
]  # fmt: skip
CaseCategoryValue = Literal[
    "human_trafficking", "narcotics", "weapons", "cybercrime", "financial", "document_fraud",
    "gang", "child_exploitation", "illegal_reentry", "other",
]  # fmt: skip
InformationValue = Literal[
    "name", "date_of_birth", "home_address", "work_address", "phone", "physical_description",
    "photo", "incident_report", "release_date", "custody_status", "immigration_status",
    "citizenship", "criminal_history", "aggregate_statistics",
]  # fmt: skip
OperationPurposeValue = Literal["immigration_enforcement", "criminal_enforcement", "public_safety"]
DetainerFormValue = Literal["I-247A", "I-247D", "I-247N", "I-203", "other"]
DetainerBasisValue = Literal[
    "final_order_of_removal", "removal_proceedings_pending", "biometric_records_match",
    "statements_or_evidence",
]  # fmt: skip
ReceivedViaValue = Literal["fax", "email", "electronic", "in_person", "other"]

#: Each enumeration and the literal type of its values (a test keeps them equal).
LITERALS: dict[type[enum.StrEnum], Any] = {
    Action: ActionValue,
    ActorRole: ActorRoleValue,
    SubjectRole: SubjectRoleValue,
    Severity: SeverityValue,
    Agency: AgencyValue,
    AuthorityType: AuthorityTypeValue,
    Issuer: IssuerValue,
    Purpose: PurposeValue,
    CaseCategory: CaseCategoryValue,
    Information: InformationValue,
    OperationPurpose: OperationPurposeValue,
    DetainerForm: DetainerFormValue,
    DetainerBasis: DetainerBasisValue,
    ReceivedVia: ReceivedViaValue,
}


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


def _action(v: Action | ActionValue) -> Action:
    return _coerce(Action, v)


def _actor_role(v: ActorRole | ActorRoleValue) -> ActorRole:
    return _coerce(ActorRole, v)


def _opt_subject_role(v: SubjectRole | SubjectRoleValue | None) -> SubjectRole | None:
    return None if v is None else _coerce(SubjectRole, v)


def _severity(v: Severity | SeverityValue) -> Severity:
    return _coerce(Severity, v)


def _agency(v: Agency | AgencyValue) -> Agency:
    return _coerce(Agency, v)


def _opt_agency(v: Agency | AgencyValue | None) -> Agency | None:
    return None if v is None else _coerce(Agency, v)


def _authority_type(v: AuthorityType | AuthorityTypeValue) -> AuthorityType:
    return _coerce(AuthorityType, v)


def _opt_issuer(v: Issuer | IssuerValue | None) -> Issuer | None:
    return None if v is None else _coerce(Issuer, v)


def _opt_purpose(v: Purpose | PurposeValue | None) -> Purpose | None:
    return None if v is None else _coerce(Purpose, v)


def _opt_category(v: CaseCategory | CaseCategoryValue | None) -> CaseCategory | None:
    return None if v is None else _coerce(CaseCategory, v)


def _op_purpose(v: OperationPurpose | OperationPurposeValue) -> OperationPurpose:
    return _coerce(OperationPurpose, v)


def _agencies(v: Iterable[Agency | AgencyValue] | None) -> tuple[Agency, ...] | None:
    return cast("tuple[Agency, ...] | None", _many(Agency, v))


def _information(
    v: Iterable[Information | InformationValue] | None,
) -> tuple[Information, ...] | None:
    return cast("tuple[Information, ...] | None", _many(Information, v))


def _opt_form(v: DetainerForm | DetainerFormValue | None) -> DetainerForm | None:
    return None if v is None else _coerce(DetainerForm, v)


def _opt_received_via(v: ReceivedVia | ReceivedViaValue | None) -> ReceivedVia | None:
    return None if v is None else _coerce(ReceivedVia, v)


def _bases(
    v: Iterable[DetainerBasis | DetainerBasisValue] | None,
) -> tuple[DetainerBasis, ...] | None:
    return cast("tuple[DetainerBasis, ...] | None", _many(DetainerBasis, v))
