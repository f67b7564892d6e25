"""OPA configuration for a department's agent: where its signed policy comes from.

The agent downloads the bundle from the bundle server (bearer token read from a file or
the environment, never written into the configuration), verifies it with the public key,
keeps the last good bundle on disk (``persist``) so it decides even while the server is
down, and reports decisions and status to the collector when one is given. Everything
written is standard OPA configuration, checked by the real ``opa run --config-file``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from trustpolicy.bundles._bundle_server import DEFAULT_BUNDLE
from trustpolicy.contract._errors import ConfigError

__all__ = ["agent_config", "write_agent_config"]

BUNDLE_SERVICE = "bundles"
COLLECTOR_SERVICE = "collector"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLAIN = re.compile(r"^[A-Za-z0-9_./-]+$")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"})


def _credentials(token_path: Path | str | None, token_env: str | None) -> dict[str, Any]:
    """OPA bearer credentials from a file (re-read by OPA) or an environment variable."""
    if token_path is not None and token_env is not None:
        raise ConfigError("give token_path or token_env, not both")
    if token_path is not None:
        return {"bearer": {"token_path": str(token_path)}}
    if token_env is not None:
        if not _ENV_NAME.match(token_env):
            raise ConfigError(f"not an environment variable name: {token_env!r}")
        # OPA substitutes ${VAR} in configuration files when it reads them.
        return {"bearer": {"token": f"${{{token_env}}}"}}
    return {}


def _key_text(public_key: Path | str | bytes) -> str:
    if isinstance(public_key, bytes):
        return public_key.decode()
    text = str(public_key)
    if text.lstrip().startswith("-----BEGIN"):
        return text
    try:
        return Path(text).read_text()
    except OSError as exc:
        # Name the file only when it looks like one: the text may be an HMAC secret.
        looks_like_path = "/" in text or text.endswith((".pem", ".key"))
        shown = text if looks_like_path else "(not shown)"
        raise ConfigError(
            f"cannot read verification key file {shown}: {exc.strerror or type(exc).__name__}"
        ) from None


def agent_config(
    *,
    bundle_server_url: str,
    public_key: Path | str | bytes,
    key_id: str = "trustpolicy",
    algorithm: str = "RS256",
    scope: str | None = None,
    token_path: Path | str | None = None,
    token_env: str | None = None,
    bundle_name: str = "trustpolicy",
    resource: str = f"bundles/{DEFAULT_BUNDLE}",
    min_delay_seconds: int = 10,
    max_delay_seconds: int = 30,
    long_polling_timeout_seconds: int | None = 60,
    persistence_directory: Path | str | None = None,
    collector_url: str | None = None,
    collector_token_path: Path | str | None = None,
    collector_token_env: str | None = None,
    department: str | None = None,
    decision_log_delay_seconds: tuple[int, int] = (5, 10),
) -> dict[str, Any]:
    """Return the OPA configuration (a dict) for one department's agent.

    ``public_key`` is a PEM file path, PEM text, or bytes (for HS256 pass the shared
    secret as bytes: a str that is not PEM is read as a file path). The token
    for the bundle server comes from ``token_path`` (OPA re-reads the file, so it can be
    rotated) or ``token_env`` (substituted by OPA when it reads the config file).
    """
    if min_delay_seconds < 1 or max_delay_seconds < min_delay_seconds:
        raise ConfigError("polling needs 1 <= min_delay_seconds <= max_delay_seconds")
    bundle_service: dict[str, Any] = {"url": bundle_server_url.rstrip("/")}
    credentials = _credentials(token_path, token_env)
    if credentials:
        bundle_service["credentials"] = credentials
    services: dict[str, Any] = {BUNDLE_SERVICE: bundle_service}
    polling: dict[str, Any] = {
        "min_delay_seconds": min_delay_seconds,
        "max_delay_seconds": max_delay_seconds,
    }
    if long_polling_timeout_seconds is not None:
        polling["long_polling_timeout_seconds"] = long_polling_timeout_seconds
    signing: dict[str, Any] = {"keyid": key_id}
    if scope:
        signing["scope"] = scope
    key: dict[str, Any] = {"key": _key_text(public_key), "algorithm": algorithm}
    if scope:
        key["scope"] = scope
    config: dict[str, Any] = {
        "services": services,
        "labels": {"app": "trustpolicy", **({"department": department} if department else {})},
        "bundles": {
            bundle_name: {
                "service": BUNDLE_SERVICE,
                "resource": resource,
                "persist": True,
                "polling": polling,
                "signing": signing,
            }
        },
        "keys": {key_id: key},
        # The decision a bare POST / answers, and the policy that guards OPA's own API when
        # the agent runs with --authorization=basic (both ship in the bundle).
        "default_decision": "/trustpolicy/decision",
        "default_authorization_decision": "/system/authz/allow",
    }
    if persistence_directory is not None:
        config["persistence_directory"] = str(persistence_directory)
    if collector_url is not None:
        collector: dict[str, Any] = {"url": collector_url.rstrip("/")}
        collector_credentials = _credentials(collector_token_path, collector_token_env)
        if collector_credentials:
            collector["credentials"] = collector_credentials
        services[COLLECTOR_SERVICE] = collector
        low, high = decision_log_delay_seconds
        config["decision_logs"] = {
            "service": COLLECTOR_SERVICE,
            "reporting": {"min_delay_seconds": low, "max_delay_seconds": high},
        }
        config["status"] = {"service": COLLECTOR_SERVICE}
    return config


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS and not _looks_numeric(text):
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _yaml_lines(value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    lines: list[str] = []
    for key, item in value.items():
        label = f"{pad}{_yaml_scalar(key)}:"
        if isinstance(item, dict) and item:
            lines += [label, *_yaml_lines(item, indent + 1)]
        elif isinstance(item, str) and "\n" in item:
            lines.append(f"{label} |")
            lines += [f"{pad}  {line}" if line else "" for line in item.rstrip("\n").split("\n")]
        elif isinstance(item, list | dict):
            lines.append(f"{label} {json.dumps(item, ensure_ascii=False)}")
        else:
            lines.append(f"{label} {_yaml_scalar(item)}")
    return lines


def write_agent_config(config: dict[str, Any], path: Path | str) -> Path:
    """Write ``config`` as JSON (``.json``) or YAML (any other suffix); return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".json":
        text = json.dumps(config, indent=2, ensure_ascii=False) + "\n"
    else:
        text = "\n".join(_yaml_lines(config, 0)) + "\n"
    out.write_text(text)
    return out
