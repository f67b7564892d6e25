"""The package's rooms: the public API stays put, and no lower room imports a higher one.

``src/trustpolicy/`` is one subpackage per subsystem. The public API is ``trustpolicy``'s
``__all__`` (plus ``trustpolicy.testing`` and the ``trustpolicy`` command); every name the
README and docs/ use must import from there, whichever room it lives in. The layering test
reads every module's imports (``ast``, so imports inside functions and under
``TYPE_CHECKING`` count too) and checks them against the table below.
"""

from __future__ import annotations

import ast
import importlib
import importlib.resources
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import trustpolicy

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "trustpolicy"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]

#: Which rooms each room may import (besides itself). Low to high:
#: contract < engine, client (peers: neither imports the other) < bundles < record
#: < authoring < cli. A new subpackage must be placed here, or the layering test fails.
ALLOWED: dict[str, frozenset[str]] = {
    "contract": frozenset(),
    "engine": frozenset({"contract"}),
    "client": frozenset({"contract"}),
    "bundles": frozenset({"contract", "engine", "client"}),
    "record": frozenset({"contract", "engine", "client", "bundles"}),
    "authoring": frozenset({"contract", "engine", "client", "bundles", "record"}),
    "cli": frozenset({"contract", "engine", "client", "bundles", "record", "authoring"}),
}
#: The top-level modules (documented entry points) and the rooms they may import.
TOP_LEVEL: dict[str, frozenset[str]] = {
    "__init__": frozenset(ALLOWED),  # re-exports the public API of every room
    "__main__": frozenset({"cli"}),
    "testing": frozenset({"contract", "engine", "client"}),
}

#: The public API, exactly. Adding a name is a deliberate change of this list.
PUBLIC_API = [
    "API_CLIENTS_FILE", "BUNDLE_CONTENT_TYPE", "BUNDLE_ROOTS", "OPA_VERSION", "REGAL_VERSION",
    "Action", "Actor", "ActorRole", "Agency", "AppliedMigration", "AsyncClient", "Authority",
    "AuthorityType", "Bundle", "BundleError", "BundleInfo", "BundleServer", "CaseCategory",
    "Charge", "Client", "Collector", "CollectorError", "Confidence", "ConfigError",
    "Counterpart", "CriminalCase", "Decision", "DecisionEvent", "DecisionRequest",
    "DecisionStore", "Detainer", "DetainerBasis", "DetainerForm", "EngineConnectionRefused",
    "EngineError", "EngineHTTPError", "EngineTimeout", "EngineUnavailable", "Finding", "Impact",
    "Information", "InvalidRequest", "Issuer", "KeyPair", "Law", "LocalOPA", "LoggedDecision",
    "Migration", "OnError", "Operation", "OperationPurpose", "Outcome", "PolicyTest",
    "PolicyTestReport", "Problem", "Provision", "PublishedBundle", "Purpose", "Receipt",
    "ReceivedVia", "Reconciliation", "RegisterKey", "RegisteredDetainer", "Reimbursement",
    "ReplayedDecision", "SchemaStatus", "Severity", "SignatureError", "SigningKey",
    "StoreResult", "Subject", "SubjectRole", "ToolNotFound", "TrustPolicyError",
    "VerificationKey", "VerifiedBundle", "Version", "agent_config", "annual_report",
    "api_clients", "build_bundle", "collector_app", "disposition", "file_hash", "find_tool",
    "format_provisions", "generate_signing_key", "generate_token", "impact_report",
    "load_tokens", "policies_dir", "project_input", "project_root", "provisions", "read_bundle",
    "read_ice_list", "read_reimbursements", "read_token", "reconcile_store",
    "registration_problems", "render_pdf", "replay_decisions", "run_policy_tests",
    "sign_bundle", "signatures_file", "stage_policies", "token_sha256", "verify_bundle",
    "write_agent_config",
]  # fmt: skip

#: Names the README and docs/ use as Python API (checked against the files below too).
DOCUMENTED = {
    "README.md": [
        "AsyncClient", "BundleServer", "Client", "Collector", "Decision", "DecisionRequest",
        "InvalidRequest", "LocalOPA", "TrustPolicyError", "disposition",
        "generate_signing_key", "provisions",
    ],
    "docs/threat-model.md": [
        "Bundle", "Client", "Collector", "Decision", "EngineError", "EngineUnavailable",
        "InvalidRequest", "LocalOPA", "agent_config", "api_clients", "generate_token",
        "policies_dir", "provisions", "read_token", "stage_policies",
    ],
    "docs/trust-act.md": ["Decision", "Outcome", "disposition", "provisions"],
    "docs/records-database.md": ["Collector", "DecisionStore"],
    "bench/README.md": ["AsyncClient", "Client", "DecisionRequest", "LocalOPA", "build_bundle"],
}  # fmt: skip

#: Library modules whose ``__all__`` is not public API: the command line's internals, and
#: reading requests from text (used by the command line only).
NOT_LIBRARY_API = {"cli", "contract._inputs"}


def test_public_api_is_exactly_the_published_list() -> None:
    assert trustpolicy.__all__ == PUBLIC_API
    for name in PUBLIC_API:
        assert getattr(trustpolicy, name) is not None, name


def test_every_documented_name_imports_from_trustpolicy() -> None:
    for doc, names in DOCUMENTED.items():
        text = (ROOT / doc).read_text("utf-8")
        for name in names:
            assert re.search(rf"\b{name}\b", text), f"{doc} no longer mentions {name}"
            assert name in trustpolicy.__all__, f"{doc} documents {name}, not in __all__"
            assert getattr(trustpolicy, name) is not None


def test_documented_imports_and_dotted_names_resolve() -> None:
    # `from trustpolicy import A, B` and `trustpolicy.name` (not the Rego `data.trustpolicy.`)
    # as written in the README and docs/: each resolves, so a move cannot break a doc silently.
    seen = 0
    for doc in DOCS:
        text = doc.read_text("utf-8")
        for names in re.findall(r"^\s*from trustpolicy import ([\w, ]+)$", text, re.MULTILINE):
            for name in (n.strip() for n in names.split(",")):
                assert name in trustpolicy.__all__, f"{doc.name}: from trustpolicy import {name}"
                seen += 1
        for name in re.findall(r"(?<![\w.])trustpolicy\.(\w+)", text):
            if name == "testing":
                importlib.import_module("trustpolicy.testing")
            else:
                assert name in trustpolicy.__all__, f"{doc.name}: trustpolicy.{name}"
            seen += 1
    assert seen >= 4  # the README's quick start, testing, generate_signing_key, ...


def test_testing_plugin_gives_the_documented_fixtures() -> None:
    testing = importlib.import_module("trustpolicy.testing")
    assert testing.__all__ == ["local_opa", "trustpolicy_client"]
    for name in testing.__all__:
        assert callable(getattr(testing, name))


def test_console_script_and_module_entry_point_reach_the_cli() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    target = project["project"]["scripts"]["trustpolicy"]
    module_name, _, attr = target.partition(":")
    assert callable(getattr(importlib.import_module(module_name), attr))
    script = Path(sys.executable).parent / "trustpolicy"
    for command in ([str(script)], [sys.executable, "-m", "trustpolicy"]):
        done = subprocess.run([*command, "--help"], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert "Usage:" in done.stdout
        assert "provisions" in done.stdout


def test_package_data_is_declared_and_loadable() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    declared = {
        (package, name)
        for package, names in project["tool"]["setuptools"]["package-data"].items()
        for name in names
    }
    shipped = {
        (".".join(("trustpolicy", *p.relative_to(PACKAGE).parent.parts)), p.name)
        for p in PACKAGE.rglob("*")
        if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts
    }
    assert shipped == declared
    schema = importlib.resources.files("trustpolicy.contract").joinpath("input_schema.json")
    assert schema.is_file()
    assert '"$schema"' in schema.read_text("utf-8")


def test_all_is_complete() -> None:
    # Every library module's public names reach trustpolicy.__all__.
    modules = []
    for path in sorted(PACKAGE.rglob("_*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1].startswith("__"):
            continue
        dotted = ".".join(parts)
        if parts[0] in NOT_LIBRARY_API or dotted in NOT_LIBRARY_API:
            continue
        modules.append(dotted)
        module = importlib.import_module(f"trustpolicy.{dotted}")
        missing = set(getattr(module, "__all__", ())) - set(trustpolicy.__all__)
        assert not missing, f"{module.__name__} exports {missing} not in trustpolicy.__all__"
    expected = {"contract._decision", "contract._models", "client._client", "record._store"}
    assert expected | {"engine._engine"} <= set(modules)
    assert trustpolicy.__all__ == sorted(
        trustpolicy.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n)
    )


# -- layering -------------------------------------------------------------------------------


def _imported(tree: ast.AST, package: list[str]) -> list[tuple[int, list[str]]]:
    """``(line, ["trustpolicy", ...])`` for every import of ours in ``tree``."""
    found: list[tuple[int, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name.split(".")) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = [*base, *(node.module.split(".") if node.module else [])]
            if module == ["trustpolicy"]:  # `from trustpolicy import contract, X`
                found.extend((node.lineno, [*module, a.name]) for a in node.names)
            else:
                found.append((node.lineno, module))
    return [(line, parts) for line, parts in found if parts[0] == "trustpolicy"]


def _violations(dotted: str, source: str, *, is_package: bool = False) -> list[str]:
    """Imports in module ``trustpolicy.<dotted>`` that its room may not make."""
    parts = dotted.split(".")
    package = ["trustpolicy", *(parts if is_package else parts[:-1])]
    room = parts[0]
    allowed = ALLOWED[room] | {room} if room in ALLOWED else TOP_LEVEL[room]
    problems = []
    for line, target in _imported(ast.parse(source), package):
        name = ".".join(target)
        if len(target) < 2 or (target[1] not in ALLOWED and target[1] not in TOP_LEVEL):
            problems.append(f"{dotted}:{line} imports {name}, which is not a room")
        elif target[1] not in allowed:
            problems.append(f"{dotted}:{line} imports {name}: {room} may not import {target[1]}")
    return problems


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module as ``dotted name -> (path, is a package)``."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        is_package = len(parts) > 1 and parts[-1] == "__init__"
        if is_package:
            parts.pop()
        out[".".join(parts)] = (path, is_package)
    return out


def test_every_room_and_top_level_module_is_placed_in_the_table() -> None:
    rooms = {p.name for p in PACKAGE.iterdir() if p.is_dir() and any(p.rglob("*.py"))}
    assert rooms == set(ALLOWED), "place each subpackage in ALLOWED (and its docstring)"
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == set(TOP_LEVEL), "place each top-level module in TOP_LEVEL"


def test_no_lower_room_imports_a_higher_one() -> None:
    problems = []
    for dotted, (path, is_package) in _modules().items():
        problems += _violations(dotted, path.read_text("utf-8"), is_package=is_package)
    assert not problems, "\n".join(problems)


def test_the_table_has_no_cycle_and_contract_imports_nothing_of_ours() -> None:
    for room, allowed in ALLOWED.items():
        assert room not in allowed
        for lower in allowed:
            assert room not in ALLOWED[lower], f"{room} and {lower} may import each other"
    assert ALLOWED["contract"] == frozenset()
    assert ALLOWED["cli"] == frozenset(ALLOWED) - {"cli"}
    assert not ALLOWED["client"] & {"engine", "bundles", "record", "authoring", "cli"}


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("contract._models", "from trustpolicy.engine._tools import find_tool"),
        ("client._client", "from trustpolicy.bundles import _bundle"),
        ("engine._engine", "from trustpolicy.client._client import Client"),
        ("record._store", "def f():\n    from trustpolicy.cli._cli import main\n"),
        ("bundles._bundle", "from ..record._store import DecisionStore"),
        ("authoring._provisions", "from trustpolicy import Client"),
        ("contract._errors", "import trustpolicy.testing"),
        ("testing", "from trustpolicy.bundles._bundle import build_bundle"),
    ],
)
def test_the_layering_check_catches_an_upward_import(module: str, source: str) -> None:
    assert _violations(module, source)


def test_the_layering_check_allows_a_room_its_own_and_lower_imports() -> None:
    source = "from trustpolicy.contract._errors import ConfigError\nfrom . import _tools\n"
    assert _violations("engine._engine", source) == []
    assert _violations("cli._cli", "from trustpolicy.record._report import annual_report") == []
    assert _violations("bundles", "from . import _bundle", is_package=True) == []


def test_each_room_says_what_it_is_for_and_what_it_may_import() -> None:
    for room, allowed in ALLOWED.items():
        doc = ast.get_docstring(ast.parse((PACKAGE / room / "__init__.py").read_text("utf-8")))
        assert doc, f"trustpolicy.{room} has no docstring"
        assert "import" in doc, f"trustpolicy.{room}'s docstring does not say what it may import"
        if allowed != frozenset(ALLOWED) - {room}:
            for lower in allowed:
                assert lower in doc, f"trustpolicy.{room}'s docstring does not name {lower}"
