"""API tokens for departmental agents: generate, read, hash, and hand the hashes to OPA.

An agent started with ``--authentication=token --authorization=basic`` asks the bundled
``system.authz`` policy about every API call. That policy knows a caller only by the
SHA-256 of its bearer token, looked up in ``data.system.authz.api_clients`` (client name
to hex digest). The operator puts those digests into the signed bundle as
``system/authz/data.json`` (see :func:`stage_policies`), so only the signer decides who
may ask, and the tokens themselves are never in the bundle, in git, or in a log: this
module reads them from a file or the environment and never prints them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from trustpolicy.contract._errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "API_CLIENTS_FILE",
    "api_clients",
    "generate_token",
    "read_token",
    "stage_policies",
    "token_sha256",
]

#: Where, inside a bundle, the token digests live (``data.system.authz.api_clients``).
API_CLIENTS_FILE = "system/authz/data.json"
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TOKEN = re.compile(r"^[\x21-\x7e]{16,512}$")  # printable ASCII, no spaces: a header value
_TOKEN_ENV = "TRUSTPOLICY_TOKEN"  # noqa: S105 - the variable's name, not a token


def generate_token(nbytes: int = 32) -> str:
    """Return a new random token (URL-safe text from ``nbytes`` of randomness, at least 16)."""
    if nbytes < 16:  # noqa: PLR2004 - 128 bits is the floor for a bearer secret
        raise ConfigError("a token needs at least 16 bytes of randomness")
    return secrets.token_urlsafe(nbytes)


def token_sha256(token: str) -> str:
    """Return the hex SHA-256 of ``token``, as ``crypto.sha256`` computes it in Rego."""
    _check_token(token, "token")
    return hashlib.sha256(token.encode()).hexdigest()


def read_token(path: Path | str | None = None, *, env: str | None = _TOKEN_ENV) -> str:
    """Read a token from ``path`` (surrounding whitespace dropped), else from ``$env``.

    Errors name the file or variable, never the token's text.
    """
    if path is not None:
        try:
            token = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read token file {path}: {exc.__class__.__name__}") from exc
        where = f"token file {path}"
    elif env is not None:
        token = os.environ.get(env, "").strip()
        where = f"${env}"
    else:
        raise ConfigError("give a token file or an environment variable")
    _check_token(token, where)
    return token


def api_clients(tokens: Mapping[str, str]) -> dict[str, str]:
    """Map each client name to the SHA-256 of its token (what the bundle carries)."""
    return {name: token_sha256(token) for name, token in _checked_names(tokens).items()}


def stage_policies(
    policies_dir: Path | str, out_dir: Path | str, clients: Mapping[str, str]
) -> Path:
    """Copy the bundle's sources to ``out_dir`` with the client digests added; return it.

    ``clients`` maps client names to hex SHA-256 digests (from :func:`api_clients`).
    Build the signed bundle from the returned directory; test files are left out.
    """
    src, out = Path(policies_dir), Path(out_dir)
    if not src.is_dir():
        raise ConfigError(f"policies directory not found: {src}")
    for name, digest in _checked_names(clients).items():
        if not isinstance(digest, str) or not _DIGEST.match(digest):
            raise ConfigError(f"client {name}: not a lowercase hex SHA-256 digest")
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"staging directory is not empty: {out}")
    shutil.copytree(
        src,
        out,
        ignore=shutil.ignore_patterns("*_test.rego", ".*"),
        dirs_exist_ok=True,
    )
    target = out / API_CLIENTS_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"api_clients": dict(sorted(clients.items()))}, indent=2) + "\n")
    return out


def _checked_names(values: Mapping[str, str]) -> Mapping[str, str]:
    if not values:
        raise ConfigError("at least one API client is needed (none means nobody may ask)")
    for name in values:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(f"not a client name: {name!r}")
    return values


def _check_token(token: object, where: str) -> None:
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise ConfigError(
            f"{where}: a token is 16 to 512 printable ASCII characters without spaces"
        )
