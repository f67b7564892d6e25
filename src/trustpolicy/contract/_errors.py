"""The trustpolicy error tree.

Every error the library raises derives from :class:`TrustPolicyError`, and each also
subclasses the matching built-in so callers can catch either::

    TrustPolicyError (Exception)
    ├── InvalidRequest (ValueError)          a request or decision document is malformed
    ├── ToolNotFound (FileNotFoundError)     the pinned opa or regal binary is missing
    ├── EngineUnavailable (ConnectionError)  OPA cannot be reached, or timed out
    │   ├── EngineTimeout (TimeoutError)     no answer within the call's deadline
    │   ├── EngineConnectionRefused          nothing listens at the agent's address
    │   └── EngineHTTPError                  OPA answered with an HTTP error status (also
    │                                        an EngineError)
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
    "EngineConnectionRefused",
    "EngineError",
    "EngineHTTPError",
    "EngineTimeout",
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
        if sep and path and " " not in path:
            return cls(path, message)
        if sep and (path.startswith("line ") or " line " in path):
            # "bad.csv line 3: date: ..." (a file's line, then the field) or "line 7: ...".
            inner, sep2, rest = message.partition(": ")
            if sep2 and inner and " " not in inner:
                return cls(inner, rest, source=path)
            return cls(path, message)
        return cls("request", text)

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


class EngineTimeout(EngineUnavailable, TimeoutError):
    """No answer within the call's ``timeout``: a deadline for the whole call, retries included."""


class EngineConnectionRefused(EngineUnavailable, ConnectionRefusedError):
    """The agent's address refused the connection: no OPA is listening there."""


class EngineHTTPError(EngineError, EngineUnavailable):
    """OPA answered with an HTTP error status (``status``), e.g. 401 for an unknown token.

    Both an :class:`EngineError` (it answered) and an :class:`EngineUnavailable` (no
    decision is available to this caller), so handlers written for either catch it.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        engine_message: str | None = None,
    ) -> None:
        super().__init__(message, url=url, status=status, engine_message=engine_message)
        self.url = url  # EngineUnavailable's __init__ ran in between, with no url


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
