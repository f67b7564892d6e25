"""The detainer register's key: the reference on a detainer is kept only as a keyed hash.

A detainer's ``reference`` (the number printed on the form) identifies a person in ICE's
systems, so the register never stores it: it stores HMAC-SHA256 of the normalised
reference under a key the City holds. Reconciliation with ICE's list hashes ICE's
references under the same key and compares hashes; nobody can read a number back.

The key comes from a file (``$TRUSTPOLICY_REGISTER_KEY_FILE``, one hex key per line) or
the environment (``$TRUSTPOLICY_REGISTER_KEY``, hex keys separated by commas); each key is
at least 32 random bytes (``trustpolicy detainer keygen``). Re-keying wraps every stored
hash under a new key, HMAC(new, stored), so a new key protects the register from then on
without the clear numbers being needed; the key becomes the chain of keys, oldest first,
and a reference is hashed through the whole chain. The register keeps a fingerprint of
the chain, so a store is never written or matched under the wrong key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from trustpolicy.contract._errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["RegisterKey"]

KEY_FILE_ENV = "TRUSTPOLICY_REGISTER_KEY_FILE"
KEY_ENV = "TRUSTPOLICY_REGISTER_KEY"
_MIN_BYTES = 32
_CHECK = b"trustpolicy detainer register key check"
_NO_KEY = (
    "no detainer register key: set {file} to a key file (create one with "
    "'trustpolicy detainer keygen FILE') or {env} to the hex key; detainer references are "
    "stored only as keyed hashes, so nothing is recorded without a key"
)


def normalise_reference(reference: str) -> str:
    """The reference as compared: Unicode NFKC, upper case, without spaces or dashes."""
    text = unicodedata.normalize("NFKC", reference).upper()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-\u2010\u2011\u2013")


class RegisterKey:
    """The chain of register keys (oldest first); never printed, never compared in clear."""

    __slots__ = ("_keys",)

    def __init__(self, keys: tuple[bytes, ...]) -> None:
        if not keys:
            raise ConfigError("a register key needs at least one key")
        for key in keys:
            if len(key) < _MIN_BYTES:
                raise ConfigError(f"a register key must be at least {_MIN_BYTES} bytes")
        self._keys = keys

    @classmethod
    def from_text(cls, text: str, source: str) -> RegisterKey:
        """Parse hex keys, one per line or separated by commas; ``source`` names the origin."""
        lines = (line for line in text.splitlines() if not line.lstrip().startswith("#"))
        parts = [p.strip() for line in lines for p in line.split(",")]
        keys = []
        for number, part in enumerate((p for p in parts if p), 1):
            try:
                keys.append(bytes.fromhex(part))
            except ValueError:
                raise ConfigError(f"{source}: key {number} is not hexadecimal") from None
        if not keys:
            raise ConfigError(f"{source}: no key found")
        try:
            return cls(tuple(keys))
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None

    @classmethod
    def from_file(cls, path: str | Path) -> RegisterKey:
        """Read a key file (one hex key per line, oldest first)."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"register key file {path} not readable: {exc}") from None
        return cls.from_text(text, str(path))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RegisterKey:
        """The key named by the environment; ConfigError with the remedy when there is none."""
        env = os.environ if environ is None else environ
        if env.get(KEY_FILE_ENV):
            return cls.from_file(env[KEY_FILE_ENV])
        if env.get(KEY_ENV):
            return cls.from_text(env[KEY_ENV], f"${KEY_ENV}")
        raise ConfigError(_NO_KEY.format(file=f"${KEY_FILE_ENV}", env=f"${KEY_ENV}"))

    @classmethod
    def resolve(cls, path: str | Path | None) -> RegisterKey:
        """The key in ``path`` if given, else the one the environment names."""
        return cls.from_file(path) if path is not None else cls.from_env()

    @staticmethod
    def generate(path: str | Path) -> Path:
        """Write a new random 32-byte key to ``path`` (mode 0600, never overwritten)."""
        target = Path(path)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise ConfigError(f"cannot create register key file {target}: {exc}") from None
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secrets.token_hex(_MIN_BYTES) + "\n")
        return target

    def digest(self, reference: str) -> str:
        """The keyed hash (hex) of a reference, through the whole chain."""
        value = normalise_reference(reference).encode()
        for key in self._keys:
            value = hmac.new(key, value, hashlib.sha256).digest()
        return value.hex()

    @property
    def fingerprint(self) -> str:
        """Identifies the chain (a keyed hash of a fixed text); reveals nothing of the keys."""
        value = _CHECK
        for key in self._keys:
            value = hmac.new(key, value, hashlib.sha256).digest()
        return value.hex()[:32]

    def extended(self, new: RegisterKey) -> RegisterKey:
        """The chain followed by ``new``'s keys: the key after re-keying with ``new``."""
        return RegisterKey(self._keys + new._keys)

    def wrap(self, stored: str) -> str:
        """Re-key one stored hash: HMAC under this key's chain of the stored bytes."""
        value = bytes.fromhex(stored)
        for key in self._keys:
            value = hmac.new(key, value, hashlib.sha256).digest()
        return value.hex()

    def write(self, path: str | Path) -> Path:
        """Write the chain to a new key file (mode 0600, never overwritten)."""
        target = Path(path)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise ConfigError(f"cannot create register key file {target}: {exc}") from None
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("# trustpolicy detainer register key chain, oldest first\n")
            out.writelines(key.hex() + "\n" for key in self._keys)
        return target

    def __repr__(self) -> str:
        return f"RegisterKey(fingerprint={self.fingerprint!r}, keys={len(self._keys)})"
