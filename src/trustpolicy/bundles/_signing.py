"""Signing and verifying bundles exactly as OPA does (``.signatures.json``).

A signed bundle carries ``.signatures.json``: ``{"signatures": [<JWT>]}``, one JWT whose
payload lists every other file with its digest, ``{"files": [{"name", "hash",
"algorithm"}], "keyid", "scope"}``. JSON files (``.manifest``, ``data.json``,
``data.yaml``) are hashed over OPA's canonical form (keys sorted, no whitespace, number
literals as written, see :mod:`._bundle_hash`); every other file over its raw bytes. OPA
checks the key id (its own configuration first, then the JWT ``kid``, then the ``keyid``
claim), the signature, the scope, then every file: a file missing from the list, a digest
mismatch, or a listed file that is not in the bundle all reject the bundle. This module
does the same, with PyJWT. An HMAC algorithm never takes a PEM key (a public key is no
secret), and an HMAC secret has at least 32 bytes.
"""

from __future__ import annotations

import fnmatch
import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from trustpolicy.bundles._bundle import SIGNATURES, Bundle, read_bundle, write_archive
from trustpolicy.bundles._bundle_hash import DEFAULT_HASH, file_hash
from trustpolicy.contract._errors import BundleError, ConfigError, SignatureError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Self

__all__ = [
    "KeyPair",
    "SigningKey",
    "VerificationKey",
    "VerifiedBundle",
    "file_hash",
    "generate_signing_key",
    "sign_bundle",
    "signatures_file",
    "verify_bundle",
]

DEFAULT_ALGORITHM = "RS256"
_HMAC = frozenset({"HS256", "HS384", "HS512"})
_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"} | _HMAC
)
_CURVES = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}


#: The shortest HMAC secret accepted: 256 bits, as RFC 7518 asks for HS256.
MIN_HMAC_SECRET = 32


def _check(algorithm: str) -> None:
    if algorithm not in _ALGORITHMS:
        raise ConfigError(f"unsupported signing algorithm {algorithm!r}: use {sorted(_ALGORITHMS)}")


def is_hmac(algorithm: str) -> bool:
    """Whether ``algorithm`` is an HMAC (shared-secret) algorithm: HS256, HS384, HS512."""
    return algorithm in _HMAC


def looks_like_pem(key: bytes | str) -> bool:
    """Whether ``key`` holds PEM text (a key or certificate), wherever the block starts."""
    raw = key.encode() if isinstance(key, str) else key
    return b"-----BEGIN" in raw


def check_hmac_secret(algorithm: str, key: bytes | str) -> None:
    """Refuse a PEM key (a public key is no secret) or a short secret for an HMAC algorithm.

    With HS256 and a public key as the "secret", anyone holding the public key could sign
    a bundle the agent activates; so a PEM key with an HMAC algorithm is refused everywhere.
    """
    if not is_hmac(algorithm):
        return
    if looks_like_pem(key):
        raise ConfigError(
            f"{algorithm} is an HMAC algorithm and the key given is PEM: a public key is no "
            "secret (anyone holding it could sign bundles); use RS256/PS256/ES256 with a PEM "
            "key pair, or a random HMAC secret"
        )
    raw = key.encode() if isinstance(key, str) else key
    if len(raw.strip()) < MIN_HMAC_SECRET:
        raise ConfigError(
            f"{algorithm} secret is shorter than {MIN_HMAC_SECRET} bytes "
            "(generate_signing_key(algorithm='HS256') writes a random 256-bit one)"
        )


def _check_key(algorithm: str, key: bytes) -> None:
    check_hmac_secret(algorithm, key)
    if not is_hmac(algorithm) and not looks_like_pem(key):
        raise ConfigError(f"{algorithm} needs a PEM key, and the key given is not PEM")


@attrs.frozen
class _Key:
    key: bytes = attrs.field(repr=False)
    algorithm: str = attrs.field(default=DEFAULT_ALGORITHM, validator=lambda _i, _a, v: _check(v))
    key_id: str = "trustpolicy"
    scope: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_key(self.algorithm, self.key)

    @classmethod
    def from_file(
        cls,
        path: Path | str,
        *,
        algorithm: str = DEFAULT_ALGORITHM,
        key_id: str = "trustpolicy",
        scope: str | None = None,
    ) -> Self:
        """Read the key from ``path`` (a PEM file, or the secret for HS256)."""
        try:
            key = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read key file {path}: {exc}") from exc
        return cls(key, algorithm, key_id, scope)


@attrs.frozen
class SigningKey(_Key):
    """A private key (PEM) or HMAC secret, with the algorithm, key id and scope to sign with."""

    def material(self) -> Any:
        """Return the key as PyJWT takes it: a private key object, or the secret bytes."""
        if self.algorithm in _HMAC:
            return self.key
        try:
            return serialization.load_pem_private_key(self.key, password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"signing key is not a PEM private key: {exc}") from exc


@attrs.frozen
class VerificationKey(_Key):
    """A public key (PEM, or a certificate) or HMAC secret that bundles are verified with."""

    def material(self) -> Any:
        """Return the key as PyJWT takes it: a public key (from key, private key or cert)."""
        if self.algorithm in _HMAC:
            return self.key
        try:
            if b"CERTIFICATE" in self.key:
                return x509.load_pem_x509_certificate(self.key).public_key()
            if b"PRIVATE KEY" in self.key:
                return serialization.load_pem_private_key(self.key, password=None).public_key()
            return serialization.load_pem_public_key(self.key)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"verification key {self.key_id!r} is not usable: {exc}") from exc


@attrs.frozen
class KeyPair:
    """Paths of a generated development key: ``private`` signs, ``public`` verifies."""

    private: Path
    public: Path
    algorithm: str


@attrs.frozen
class VerifiedBundle:
    """A bundle whose signature and every file checked out."""

    bundle: Bundle
    key_id: str
    scope: str
    files: tuple[str, ...]

    @property
    def revision(self) -> str:
        """The manifest revision of the verified bundle."""
        return self.bundle.revision


# -- signing ----------------------------------------------------------------------------


def signatures_file(files: Mapping[str, bytes], key: SigningKey) -> bytes:
    """Return the ``.signatures.json`` for ``files`` (all bundle files but the signatures)."""
    listed = [
        {"name": name, "hash": file_hash(name, files[name]), "algorithm": DEFAULT_HASH}
        for name in sorted(files)
        if name != SIGNATURES
    ]
    payload: dict[str, Any] = {"files": listed, "keyid": key.key_id}
    if key.scope:
        payload["scope"] = key.scope
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    token = jwt.api_jws.encode(
        body, key.material(), algorithm=key.algorithm, headers={"kid": key.key_id, "typ": None}
    )
    return json.dumps({"signatures": [token]}, indent=1).encode() + b"\n"


def sign_bundle(
    bundle_path: Path | str, key: SigningKey, *, out_path: Path | str | None = None
) -> Path:
    """Sign a bundle (replacing any old signature); write it to ``out_path`` or in place."""
    bundle = read_bundle(bundle_path)
    files = {name: data for name, data in bundle.files.items() if name != SIGNATURES}
    files[SIGNATURES] = signatures_file(files, key)
    return write_archive(files, out_path if out_path is not None else bundle_path)


# -- verification -----------------------------------------------------------------------


def _segments_match(pattern: str, name: str) -> bool:
    """Go's ``filepath.Match``: like fnmatch, but ``*`` never crosses a ``/``."""
    parts, names = pattern.split("/"), name.split("/")
    return len(parts) == len(names) and all(
        fnmatch.fnmatchcase(n, p) for p, n in zip(parts, names, strict=True)
    )


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read the JWT's header and claims before the key to check them with is known."""
    try:
        parts = jwt.api_jws.decode_complete(token, options={"verify_signature": False})
        claims = json.loads(parts["payload"])
    except (jwt.PyJWTError, ValueError) as exc:
        raise SignatureError(f"malformed JWT: {exc}", file=SIGNATURES) from exc
    if not isinstance(claims, dict):
        raise SignatureError("malformed JWT: the payload is not an object", file=SIGNATURES)
    return parts["header"], claims


def _token(bundle: Bundle) -> str:
    raw = bundle.files.get(SIGNATURES)
    if raw is None:
        raise SignatureError("bundle is not signed: missing", file=SIGNATURES)
    try:
        config = json.loads(raw)
    except ValueError as exc:
        raise SignatureError(f"not valid JSON: {exc}", file=SIGNATURES) from exc
    tokens = config.get("signatures") if isinstance(config, dict) else None
    if not isinstance(tokens, list) or len(tokens) != 1 or not isinstance(tokens[0], str):
        raise SignatureError("expected exactly one JWT in 'signatures'", file=SIGNATURES)
    return tokens[0]


def verify_bundle(
    bundle: Bundle | Path | str,
    keys: VerificationKey | Iterable[VerificationKey],
    *,
    key_id: str | None = None,
    scope: str | None = None,
    exclude: Sequence[str] = (),
) -> VerifiedBundle:
    """Verify a signed bundle as OPA does; raise :class:`SignatureError` naming the file.

    ``key_id`` and ``scope`` play the role of OPA's ``bundles.<name>.signing`` settings:
    when unset, the JWT's ``kid`` (or ``keyid`` claim) picks the key and the key's own
    scope is expected. ``exclude`` lists glob patterns of files not checked.
    """
    if not isinstance(bundle, Bundle):
        bundle = read_bundle(bundle)
    by_id = {k.key_id: k for k in ([keys] if isinstance(keys, VerificationKey) else keys)}
    token = _token(bundle)
    header, claims = _unverified(token)
    chosen = key_id or header.get("kid") or claims.get("keyid") or ""
    if not isinstance(chosen, str) or not chosen:
        raise SignatureError("no key id in the JWT and none configured", file=SIGNATURES)
    key = by_id.get(chosen)
    if key is None:
        raise SignatureError(f"no verification key with id {chosen!r}", file=SIGNATURES)
    try:
        jwt.api_jws.decode_complete(token, key.material(), algorithms=[key.algorithm])
    except jwt.PyJWTError as exc:
        raise SignatureError(
            f"signature does not verify with key {chosen!r}: {exc}", file=SIGNATURES
        ) from exc
    want_scope = scope or key.scope or ""
    got_scope = claims.get("scope") or ""
    if got_scope != want_scope:
        raise SignatureError(
            f"scope mismatch: signed for {got_scope!r}, expected {want_scope!r}", file=SIGNATURES
        )
    checked = _check_files(bundle, _listed_files(claims), exclude)
    _check_loadable(bundle)
    return VerifiedBundle(bundle=bundle, key_id=chosen, scope=want_scope, files=checked)


_BOM = b"\xef\xbb\xbf"
_JSON_FILES = frozenset({".manifest", "data.json"})


def _check_loadable(bundle: Bundle) -> None:
    """Refuse what OPA refuses to load although it verifies: JSON with a byte-order mark."""
    for name in sorted(bundle.files):
        if name.rsplit("/", 1)[-1] in _JSON_FILES and bundle.files[name].startswith(_BOM):
            raise BundleError(f"{name} starts with a byte-order mark: OPA refuses to load it")


def _check_files(
    bundle: Bundle, listed: dict[str, tuple[str, str]], exclude: Sequence[str]
) -> tuple[str, ...]:
    """Check every file against its signed digest, as OPA's ``VerifyBundleFile`` does."""
    checked: list[str] = []
    for name in sorted(bundle.files):
        if name == SIGNATURES:
            continue
        if any(_segments_match(p, name) for p in exclude):
            listed.pop(name, None)
            continue
        entry = listed.pop(name, None)
        if entry is None:
            raise SignatureError("file not included in the bundle signature", file=name)
        want, algorithm = entry
        if file_hash(name, bundle.files[name], algorithm) != want.lower():
            raise SignatureError(f"{algorithm} digest mismatch", file=name)
        checked.append(name)
    if listed:
        missing = sorted(listed)
        raise SignatureError(
            f"signed but not found in the bundle ({', '.join(missing)})", file=missing[0]
        )
    return tuple(checked)


def _listed_files(claims: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    files = claims.get("files")
    if not isinstance(files, list):
        raise SignatureError("JWT payload has no 'files' list", file=SIGNATURES)
    listed: dict[str, tuple[str, str]] = {}
    for entry in files:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise SignatureError("JWT payload has a malformed file entry", file=SIGNATURES)
        name = entry["name"].lstrip("/")
        algorithm = entry.get("algorithm")
        if not algorithm:
            raise SignatureError("no hashing algorithm given", file=name)
        listed[name] = (str(entry.get("hash", "")), str(algorithm))
    return listed


# -- development keys -------------------------------------------------------------------


def generate_signing_key(
    directory: Path | str, *, algorithm: str = DEFAULT_ALGORITHM, name: str = "dev"
) -> KeyPair:
    """Write a new DEVELOPMENT key pair under ``directory``; never use one to deploy.

    RS*/PS* give a 3072-bit RSA key, ES* the matching NIST curve (both PKCS#8 PEM, private
    file mode 0600, public key beside it); HS* a random 256-bit secret used for both.
    """
    _check(algorithm)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    if algorithm in _HMAC:
        secret = folder / f"{name}.secret"
        _write_private(secret, secrets.token_hex(32).encode())
        return KeyPair(private=secret, public=secret, algorithm=algorithm)
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if algorithm.startswith("ES"):
        private_key = ec.generate_private_key(_CURVES[algorithm])
    else:
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    private = folder / f"{name}.key.pem"
    public = folder / f"{name}.pub.pem"
    _write_private(
        private,
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    public.write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return KeyPair(private=private, public=public, algorithm=algorithm)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    path.chmod(0o600)
