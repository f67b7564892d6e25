"""The trustpolicy error tree.

Every error the library raises derives from :class:`TrustPolicyError`, and each also
subclasses the matching built-in so callers can catch either::

    TrustPolicyError (Exception)
    ├── InvalidRequest (ValueError)          a request or decision document is malformed
    ├── ToolNotFound (FileNotFoundError)     the pinned opa or regal binary is missing
    ├── EngineUnavailable (ConnectionError)  OPA cannot be reached, or timed out
    ├── EngineError (RuntimeError)           OPA answered with an error or an unusable decision
    ├── BundleError (ValueError)             a bundle could not be built or read
    │   └── SignatureError                   a bundle signature is missing, wrong or does not match
    ├── ConfigError (ValueError)             an agent, server or key configuration is unusable
    └── CollectorError (RuntimeError)        decision logs could not be stored or read

No error ever turns into an allow: callers that catch these must deny.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "BundleError",
    "CollectorError",
    "ConfigError",
    "EngineError",
    "EngineUnavailable",
    "InvalidRequest",
    "Problem",
    "SignatureError",
    "ToolNotFound",
    "TrustPolicyError",
]


class TrustPolicyError(Exception):
    """Root of every error raised by trustpolicy."""


class Problem(str):
    """One problem with a request: the field ``path`` and the ``message`` saying what is wrong.

    It reads (and compares) as the text ``"path: message"``, e.g.
    ``actor.role: must be one of police_officer, city_employee``; ``source`` names where the
    request came from (a file, a line of JSON Lines, a batch position) when it is known, and
    then leads the text.
    """

    __slots__ = ("message", "path", "source")
    path: str
    message: str
    source: str | None

    def __new__(cls, path: str, message: str, *, source: str | None = None) -> Self:
        """Build the problem ``message`` at field ``path`` (``request`` for the whole)."""
        text = f"{path}: {message}" if source is None else f"{source}: {path}: {message}"
        self = super().__new__(cls, text)
        self.path, self.message, self.source = path, message, source
        return self

    @classmethod
    def parse(cls, text: str) -> Problem:
        """Read ``"path: message"`` (as the engine's TP-INPUT-01 lists them) into a problem."""
        if isinstance(text, Problem):
            return text
        path, sep, message = text.partition(": ")
        return cls(path, message) if sep and path and " " not in path else cls("request", text)

    def __repr__(self) -> str:
        where = "" if self.source is None else f", source={self.source!r}"
        return f"Problem(path={self.path!r}, message={self.message!r}{where})"

    def __reduce__(self) -> tuple[object, ...]:
        return (_problem, (self.path, self.message, self.source))


def _problem(path: str, message: str, source: str | None) -> Problem:
    return Problem(path, message, source=source)


class InvalidRequest(TrustPolicyError, ValueError):
    """A request (or a decision document) is malformed; ``problems`` lists each one.

    Each is a :class:`Problem` with the field ``path`` and the ``message``; it reads as
    ``actor.role: must be one of ...``, and ``str()`` of the error lists them all.
    """

    def __init__(self, problems: Sequence[Problem | str], *, what: str = "request") -> None:
        self.problems: tuple[Problem, ...] = tuple(Problem.parse(p) for p in problems)
        self.what = what
        listed = "; ".join(self.problems) if self.problems else "unknown problem"
        super().__init__(f"invalid {what}: {listed}")

    def __reduce__(self) -> tuple[object, ...]:
        return (_invalid_request, (self.problems, self.what))


def _invalid_request(problems: tuple[Problem, ...], what: str) -> InvalidRequest:
    return InvalidRequest(problems, what=what)


class ToolNotFound(TrustPolicyError, FileNotFoundError):
    """The pinned ``opa`` or ``regal`` binary could not be found."""


class EngineUnavailable(TrustPolicyError, ConnectionError):
    """The policy engine could not be reached, refused the connection, or timed out."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        self.url = url
        super().__init__(f"{message} ({url})" if url else message)


class EngineError(TrustPolicyError, RuntimeError):
    """The engine answered, but with an error or with something that is not a decision.

    ``status`` is the HTTP status (when there was one) and ``engine_message`` OPA's own
    message, so an operator can see what OPA said.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        engine_message: str | None = None,
    ) -> None:
        self.url = url
        self.status = status
        self.engine_message = engine_message
        parts = [message]
        if status is not None:
            parts.append(f"HTTP {status}")
        if url:
            parts.append(url)
        text = " | ".join(parts)
        if engine_message:
            text = f"{text}: {engine_message}"
        super().__init__(text)


class BundleError(TrustPolicyError, ValueError):
    """A bundle could not be built, read or published."""


class SignatureError(BundleError):
    """A bundle signature is missing, malformed, made with the wrong key, or does not match.

    ``file`` names the bundle file concerned, when there is one.
    """

    def __init__(self, message: str, *, file: str | None = None) -> None:
        self.file = file
        super().__init__(f"{message}: {file}" if file else message)


class ConfigError(TrustPolicyError, ValueError):
    """An agent, server, token or key configuration is unusable."""


class CollectorError(TrustPolicyError, RuntimeError):
    """Decision logs could not be received, stored or read."""
