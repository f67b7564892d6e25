"""trustpolicy: the Boston Trust Act as executable, tested, signed Open Policy Agent policy.

A dispatch or records system builds a :class:`DecisionRequest`, asks a :class:`Client`
bound to an OPA agent, and gets back a :class:`Decision` that names the provision that
gave the answer. Every error is a :class:`TrustPolicyError`; none ever becomes an allow.
"""

from __future__ import annotations

from trustpolicy._agent_config import agent_config, write_agent_config
from trustpolicy._async_client import AsyncClient
from trustpolicy._bundle import Bundle, BundleInfo, build_bundle, read_bundle
from trustpolicy._bundle_server import BundleServer, PublishedBundle, load_tokens
from trustpolicy._client import Client, OnError
from trustpolicy._collector import Collector
from trustpolicy._decision import Decision, Finding, Outcome
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
    DecisionRequest,
    Information,
    Issuer,
    Operation,
    OperationPurpose,
    Purpose,
    Severity,
    Subject,
    SubjectRole,
)
from trustpolicy._report import annual_report
from trustpolicy._signing import (
    KeyPair,
    SigningKey,
    VerificationKey,
    VerifiedBundle,
    generate_signing_key,
    sign_bundle,
    verify_bundle,
)
from trustpolicy._store import DecisionStore, LoggedDecision, StoreResult
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
    "Bundle",
    "BundleError",
    "BundleInfo",
    "BundleServer",
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
    "KeyPair",
    "LocalOPA",
    "LoggedDecision",
    "OnError",
    "Operation",
    "OperationPurpose",
    "Outcome",
    "PublishedBundle",
    "Purpose",
    "Severity",
    "SignatureError",
    "SigningKey",
    "StoreResult",
    "Subject",
    "SubjectRole",
    "ToolNotFound",
    "TrustPolicyError",
    "VerificationKey",
    "VerifiedBundle",
    "agent_config",
    "annual_report",
    "build_bundle",
    "find_tool",
    "generate_signing_key",
    "load_tokens",
    "policies_dir",
    "read_bundle",
    "sign_bundle",
    "verify_bundle",
    "write_agent_config",
]
