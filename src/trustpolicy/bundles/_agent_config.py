"""OPA configuration for a department's agent: where its signed policy comes from.

The agent downloads the bundle from the bundle server (bearer token read from a file or
the environment, never written into the configuration), verifies it with the public key
(or, for HS256/HS384/HS512, a shared secret that OPA reads from an environment variable:
a secret is never written into the configuration, and a PEM key is refused with an HMAC
algorithm because a public key is no secret),
keeps the last good bundle on disk (``persist``) so it decides even while the server is
down, and reports decisions and status to the collector when one is given. Everything
written is standard OPA configuration, checked by the real ``opa run --config-file``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from trustpolicy.bundles._bundle import BUNDLE_FILE_LIMIT
from trustpolicy.bundles._bundle_server import DEFAULT_BUNDLE
from trustpolicy.bundles._signing import is_hmac, looks_like_pem
from trustpolicy.contract._errors import ConfigError

__all__ = ["agent_config", "write_agent_config"]

BUNDLE_SERVICE = "bundles"
COLLECTOR_SERVICE = "collector"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLAIN = re.compile(r"^[A-Za-z0-9_./-]+$")
#: The agent's request body caps: what it reads of a body at all, and what a gzip body may
#: inflate to. A decision request is a few kilobytes; a 1000-request batch under 1 MiB.
MAX_REQUEST_BYTES = 1024 * 1024
MAX_GZIP_REQUEST_BYTES = 4 * 1024 * 1024
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"})


def _env_name(name: str) -> str:
    if not _ENV_NAME.match(name):
        raise ConfigError(f"not an environment variable name: {name!r}")
    return name


def _credentials(token_path: Path | str | None, token_env: str | None) -> dict[str, Any]:
    """OPA bearer credentials from a file (re-read by OPA) or an environment variable."""
    if token_path is not None and token_env is not None:
        raise ConfigError("give token_path or token_env, not both")
    if token_path is not None:
        return {"bearer": {"token_path": str(token_path)}}
    if token_env is not None:
        # OPA substitutes ${VAR} in configuration files when it reads them.
        return {"bearer": {"token": f"${{{_env_name(token_env)}}}"}}
    return {}


def _key_text(public_key: Path | str | bytes) -> str:
    if isinstance(public_key, bytes):
        text = public_key.decode(errors="replace")
    elif str(public_key).lstrip().startswith("-----BEGIN"):
        text = str(public_key)
    else:
        try:
            text = Path(public_key).read_text()
        except OSError as exc:
            # Name the file only when it looks like one: the text may be a secret.
            name = str(public_key)
            looks_like_path = "/" in name or name.endswith((".pem", ".key"))
            shown = name if looks_like_path else "(not shown)"
            raise ConfigError(
                f"cannot read verification key file {shown}: {exc.strerror or type(exc).__name__}"
            ) from None
    if not looks_like_pem(text):
        raise ConfigError("public_key is not a PEM public key or certificate")
    return text


def _verification_key(
    algorithm: str, public_key: Path | str | bytes | None, hmac_secret_env: str | None
) -> str:
    """The ``keys.<id>.key`` value: PEM text, or a ``${VAR}`` reference for an HMAC secret."""
    if not is_hmac(algorithm):
        if hmac_secret_env is not None:
            raise ConfigError(f"hmac_secret_env is for HS256/HS384/HS512, not {algorithm}")
        if public_key is None:
            raise ConfigError(f"{algorithm} needs public_key (a PEM public key)")
        return _key_text(public_key)
    if public_key is not None:
        pem = isinstance(public_key, bytes) and looks_like_pem(public_key)
        pem = pem or (not isinstance(public_key, bytes) and _is_pem_source(public_key))
        if pem:
            raise ConfigError(
                f"{algorithm} is an HMAC algorithm and public_key is PEM: a public key is no "
                "secret, and anyone holding it could sign bundles the agent activates; use "
                "RS256/PS256/ES256 with the public key, or hmac_secret_env for a shared secret"
            )
        raise ConfigError(
            f"{algorithm}: an HMAC secret is never written into the agent configuration; "
            "give hmac_secret_env (OPA reads the variable when it starts)"
        )
    if hmac_secret_env is None:
        raise ConfigError(f"{algorithm} needs hmac_secret_env, the variable holding the secret")
    return f"${{{_env_name(hmac_secret_env)}}}"


def _is_pem_source(public_key: Path | str) -> bool:
    """Whether a str/path given as a key is PEM text or names a readable PEM file."""
    if looks_like_pem(str(public_key)):
        return True
    try:
        with Path(public_key).open("rb") as handle:
            return looks_like_pem(handle.read(64 * 1024))
    except (OSError, ValueError):
        return False


def _check_caps(**caps: int) -> None:
    for name, cap in caps.items():
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1:
            raise ConfigError(f"{name} must be a positive number of bytes, not {cap!r}")


def agent_config(
    *,
    bundle_server_url: str,
    public_key: Path | str | bytes | None = None,
    key_id: str = "trustpolicy",
    algorithm: str = "RS256",
    hmac_secret_env: str | None = None,
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
    max_request_bytes: int = MAX_REQUEST_BYTES,
    max_gzip_request_bytes: int = MAX_GZIP_REQUEST_BYTES,
    bundle_size_limit_bytes: int = BUNDLE_FILE_LIMIT,
) -> dict[str, Any]:
    """Return the OPA configuration (a dict) for one department's agent.

    ``public_key`` is a PEM file path, PEM text, or PEM bytes. With an HMAC algorithm
    (HS256/HS384/HS512) give no ``public_key`` but ``hmac_secret_env``, the environment
    variable OPA reads the shared secret from (``${VAR}`` in the file; a secret in a file
    is passed as ``opa run --set-file keys.<key_id>.key=<path>``). The token
    for the bundle server comes from ``token_path`` (OPA re-reads the file, so it can be
    rotated) or ``token_env`` (substituted by OPA when it reads the config file).

    Bodies are capped before anything else (authentication included) reads them:
    ``max_request_bytes`` as sent, ``max_gzip_request_bytes`` once inflated; a bundle file
    larger than ``bundle_size_limit_bytes`` is refused as it is unpacked (the same cap
    ``bundle verify`` and the bundle server apply).
    """
    _check_caps(
        max_request_bytes=max_request_bytes,
        max_gzip_request_bytes=max_gzip_request_bytes,
        bundle_size_limit_bytes=bundle_size_limit_bytes,
    )
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
    key: dict[str, Any] = {
        "key": _verification_key(algorithm, public_key, hmac_secret_env),
        "algorithm": algorithm,
    }
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
                "size_limit_bytes": bundle_size_limit_bytes,
                "signing": signing,
            }
        },
        "keys": {key_id: key},
        "server": {
            "decoding": {
                "max_length": max_request_bytes,
                "gzip": {"max_length": max_gzip_request_bytes},
            }
        },
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


_REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
_SECRET_FIELDS = frozenset({"token", "password", "client_secret", "private_key", "secret"})


def holds_secret(config: Any) -> bool:
    """Whether ``config`` holds a secret itself (not a ``${VAR}`` reference or a file path).

    Secrets are credential fields (``token``, ``password``, ``client_secret``,
    ``private_key``, ``secret``) and the ``key`` of any entry whose algorithm is HMAC.
    """
    if isinstance(config, list):
        return any(holds_secret(item) for item in config)
    if not isinstance(config, dict):
        return False
    hmac_entry = is_hmac(str(config.get("algorithm", "")))
    for name, value in config.items():
        if isinstance(value, str):
            literal = not _REFERENCE.match(value.strip())
            if literal and (name in _SECRET_FIELDS or (hmac_entry and name == "key")):
                return True
        elif holds_secret(value):
            return True
    return False


def write_agent_config(config: dict[str, Any], path: Path | str) -> Path:
    """Write ``config`` as JSON (``.json``) or YAML (any other suffix); return the path.

    A configuration that holds a secret itself (see :func:`holds_secret`) is written with
    mode 0600, from the moment the file exists; any other with the usual 0644.
    """
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".json":
        text = json.dumps(config, indent=2, ensure_ascii=False) + "\n"
    else:
        text = "\n".join(_yaml_lines(config, 0)) + "\n"
    mode = 0o600 if holds_secret(config) else 0o644
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    tmp.chmod(mode)
    tmp.replace(out)
    return out
