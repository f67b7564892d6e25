"""trustpolicy: the Boston Trust Act as executable, tested, signed Open Policy Agent policy.

A dispatch or records system builds a :class:`DecisionRequest`, asks a :class:`Client`
bound to an OPA agent, and gets back a :class:`Decision` that names the provision that
gave the answer. Every error is a :class:`TrustPolicyError`; none ever becomes an allow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from trustpolicy.authoring._policy_tests import PolicyTest, PolicyTestReport, run_policy_tests
from trustpolicy.authoring._provisions import Provision, format_provisions, provisions
from trustpolicy.authoring._registration import registration_problems
from trustpolicy.bundles._bundle import BUNDLE_ROOTS, Bundle, BundleInfo, build_bundle, read_bundle
from trustpolicy.client._client import Client, OnError
from trustpolicy.client._observe import DecisionEvent
from trustpolicy.contract._decision import Confidence, Decision, Finding, Law, Outcome, Version
from trustpolicy.contract._enums import (
    Action,
    ActorRole,
    Agency,
    AuthorityType,
    CaseCategory,
    DetainerBasis,
    DetainerForm,
    Information,
    Issuer,
    OperationPurpose,
    Purpose,
    ReceivedVia,
    Severity,
    SubjectRole,
)
from trustpolicy.contract._errors import (
    BundleError,
    CollectorError,
    ConfigError,
    EngineConnectionRefused,
    EngineError,
    EngineHTTPError,
    EngineTimeout,
    EngineUnavailable,
    InvalidRequest,
    Problem,
    SignatureError,
    ToolNotFound,
    TrustPolicyError,
)
from trustpolicy.contract._models import DecisionRequest
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
from trustpolicy.contract._tokens import (
    API_CLIENTS_FILE,
    api_clients,
    generate_token,
    read_token,
    stage_policies,
    token_sha256,
)
from trustpolicy.engine._engine import LocalOPA
from trustpolicy.engine._tools import (
    OPA_VERSION,
    REGAL_VERSION,
    find_tool,
    policies_dir,
    project_root,
)
from trustpolicy.record._backend import AppliedMigration, Migration, SchemaStatus
from trustpolicy.record._impact import Impact, ReplayedDecision, replay_decisions
from trustpolicy.record._impact_report import impact_report
from trustpolicy.record._masking import project_input
from trustpolicy.record._reconcile import Reconciliation, read_ice_list, reconcile_store
from trustpolicy.record._register import Receipt, RegisteredDetainer
from trustpolicy.record._register_key import RegisterKey
from trustpolicy.record._reimbursements import Reimbursement, read_reimbursements
from trustpolicy.record._report import annual_report, disposition
from trustpolicy.record._report_pdf import render_pdf
from trustpolicy.record._store import DecisionStore, LoggedDecision, StoreResult

if TYPE_CHECKING:
    from trustpolicy.bundles._agent_config import agent_config, write_agent_config
    from trustpolicy.bundles._bundle_server import (
        BUNDLE_CONTENT_TYPE,
        BundleServer,
        PublishedBundle,
        load_tokens,
    )
    from trustpolicy.bundles._signing import (
        KeyPair,
        SigningKey,
        VerificationKey,
        VerifiedBundle,
        file_hash,
        generate_signing_key,
        sign_bundle,
        signatures_file,
        verify_bundle,
    )
    from trustpolicy.client._async_client import AsyncClient
    from trustpolicy.record._collector import Collector, collector_app

_SERVER_SIDE = {
    "agent_config": "trustpolicy.bundles._agent_config",
    "write_agent_config": "trustpolicy.bundles._agent_config",
    "BUNDLE_CONTENT_TYPE": "trustpolicy.bundles._bundle_server",
    "BundleServer": "trustpolicy.bundles._bundle_server",
    "PublishedBundle": "trustpolicy.bundles._bundle_server",
    "load_tokens": "trustpolicy.bundles._bundle_server",
    "KeyPair": "trustpolicy.bundles._signing",
    "SigningKey": "trustpolicy.bundles._signing",
    "VerificationKey": "trustpolicy.bundles._signing",
    "VerifiedBundle": "trustpolicy.bundles._signing",
    "file_hash": "trustpolicy.bundles._signing",
    "generate_signing_key": "trustpolicy.bundles._signing",
    "sign_bundle": "trustpolicy.bundles._signing",
    "signatures_file": "trustpolicy.bundles._signing",
    "verify_bundle": "trustpolicy.bundles._signing",
    "AsyncClient": "trustpolicy.client._async_client",
    "Collector": "trustpolicy.record._collector",
    "collector_app": "trustpolicy.record._collector",
}

__all__ = [
    "API_CLIENTS_FILE",
    "BUNDLE_CONTENT_TYPE",
    "BUNDLE_ROOTS",
    "OPA_VERSION",
    "REGAL_VERSION",
    "Action",
    "Actor",
    "ActorRole",
    "Agency",
    "AppliedMigration",
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
    "Confidence",
    "ConfigError",
    "Counterpart",
    "CriminalCase",
    "Decision",
    "DecisionEvent",
    "DecisionRequest",
    "DecisionStore",
    "Detainer",
    "DetainerBasis",
    "DetainerForm",
    "EngineConnectionRefused",
    "EngineError",
    "EngineHTTPError",
    "EngineTimeout",
    "EngineUnavailable",
    "Finding",
    "Impact",
    "Information",
    "InvalidRequest",
    "Issuer",
    "KeyPair",
    "Law",
    "LocalOPA",
    "LoggedDecision",
    "Migration",
    "OnError",
    "Operation",
    "OperationPurpose",
    "Outcome",
    "PolicyTest",
    "PolicyTestReport",
    "Problem",
    "Provision",
    "PublishedBundle",
    "Purpose",
    "Receipt",
    "ReceivedVia",
    "Reconciliation",
    "RegisterKey",
    "RegisteredDetainer",
    "Reimbursement",
    "ReplayedDecision",
    "SchemaStatus",
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
    "Version",
    "agent_config",
    "annual_report",
    "api_clients",
    "build_bundle",
    "collector_app",
    "disposition",
    "file_hash",
    "find_tool",
    "format_provisions",
    "generate_signing_key",
    "generate_token",
    "impact_report",
    "load_tokens",
    "policies_dir",
    "project_input",
    "project_root",
    "provisions",
    "read_bundle",
    "read_ice_list",
    "read_reimbursements",
    "read_token",
    "reconcile_store",
    "registration_problems",
    "render_pdf",
    "replay_decisions",
    "run_policy_tests",
    "sign_bundle",
    "signatures_file",
    "stage_policies",
    "token_sha256",
    "verify_bundle",
    "write_agent_config",
]


def __getattr__(name: str) -> object:
    """Import the server-side names on first use, so client-only installs need no extra.

    They need aiohttp, PyJWT and cryptography (``pip install 'trustpolicy[server]'``).
    """
    module = _SERVER_SIDE.get(name)
    if module is None:
        raise AttributeError(f"module 'trustpolicy' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:
        raise ImportError(
            f"trustpolicy.{name} needs the server extra ({exc.name} is not installed): "
            "pip install 'trustpolicy[server]'"
        ) from exc
    globals()[name] = value
    return value
