"""trustpolicy: the Boston Trust Act as executable, tested, signed Open Policy Agent policy.

A dispatch or records system builds a :class:`DecisionRequest`, asks a :class:`Client`
bound to an OPA agent, and gets back a :class:`Decision` that names the provision that
gave the answer. Every error is a :class:`TrustPolicyError`; none ever becomes an allow.
"""

from __future__ import annotations

from trustpolicy._async_client import AsyncClient
from trustpolicy._client import Client, OnError
from trustpolicy._collector import Collector, DecisionStore, LoggedDecision, StoreResult
from trustpolicy._engine import LocalOPA
from trustpolicy._errors import (
    BundleError,
    CollectorError,
    ConfigError,
    EngineError,
    EngineUnavailable,
    InvalidRequest,
    SignatureError,
    ToolNotFound,
    TrustPolicyError,
)
from trustpolicy._models import (
    Action,
    Actor,
    ActorRole,
    Agency,
    Authority,
    AuthorityType,
    CaseCategory,
    Charge,
    Counterpart,
    CriminalCase,
    Decision,
    DecisionRequest,
    Finding,
    Information,
    Issuer,
    Operation,
    OperationPurpose,
    Outcome,
    Purpose,
    Severity,
    Subject,
    SubjectRole,
)
from trustpolicy._report import annual_report
from trustpolicy._tools import OPA_VERSION, REGAL_VERSION, find_tool, policies_dir

__all__ = [
    "OPA_VERSION",
    "REGAL_VERSION",
    "Action",
    "Actor",
    "ActorRole",
    "Agency",
    "AsyncClient",
    "Authority",
    "AuthorityType",
    "BundleError",
    "CaseCategory",
    "Charge",
    "Client",
    "Collector",
    "CollectorError",
    "ConfigError",
    "Counterpart",
    "CriminalCase",
    "Decision",
    "DecisionRequest",
    "DecisionStore",
    "EngineError",
    "EngineUnavailable",
    "Finding",
    "Information",
    "InvalidRequest",
    "Issuer",
    "LocalOPA",
    "LoggedDecision",
    "OnError",
    "Operation",
    "OperationPurpose",
    "Outcome",
    "Purpose",
    "Severity",
    "SignatureError",
    "StoreResult",
    "Subject",
    "SubjectRole",
    "ToolNotFound",
    "TrustPolicyError",
    "annual_report",
    "find_tool",
    "policies_dir",
]
