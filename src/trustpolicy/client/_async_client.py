"""The asynchronous client: the same API and the same fail-closed rules as :class:`Client`.

Built on aiohttp directly rather than opa-python-client's ``AsyncOpaClient``, for the
reasons given on :class:`Client` (its query methods drop OPA's error body and return
``{}`` for an undefined decision).
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING, Any

import aiohttp

from trustpolicy.client._client import (
    _HEADERS,
    BATCH_PATH,
    DECISION_PATH,
    DEFAULT_URL,
    REVISION_PATH,
    OnError,
    batch_body,
    check_mode,
    engine_url,
    input_json,
    read_body,
    to_decision,
    to_decisions,
)
from trustpolicy.contract._decision import Decision
from trustpolicy.contract._errors import (
    ConfigError,
    EngineError,
    EngineUnavailable,
    TrustPolicyError,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from types import TracebackType
    from typing import Self

    from trustpolicy.contract._models import DecisionRequest

__all__ = ["AsyncClient"]


class AsyncClient:
    """Ask an OPA agent for decisions from asyncio code; one keep-alive aiohttp session.

    The session is opened on first use, inside the running event loop; close it with
    ``await client.close()`` or ``async with AsyncClient(...)``.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        token: str | None = None,
        timeout: float = 2.0,
        retries: int = 1,
        on_error: OnError = "raise",
        verify: bool | str = True,
        decision_path: str = DECISION_PATH,
        batch_path: str = BATCH_PATH,
    ) -> None:
        check_mode(on_error)
        self.url = engine_url(url)[0]
        self.timeout = timeout
        self.retries = retries
        self.on_error: OnError = on_error
        self._decision_url = f"{self.url}/v1/data/{decision_path.strip('/')}"
        self._batch_url = f"{self.url}/v1/data/{batch_path.strip('/')}"
        self._revision_url = f"{self.url}/v1/data/{REVISION_PATH}"
        self._headers = dict(_HEADERS)
        if token is not None:
            self._headers["Authorization"] = f"Bearer {token}"
        self._ssl: ssl.SSLContext | bool = _ssl_context(verify)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def decide(self, request: DecisionRequest | Mapping[str, Any]) -> Decision:
        """Ask for one decision (``data.trustpolicy.decision``)."""
        body = b'{"input":' + input_json(request) + b"}"
        try:
            return to_decision(await self._post(self._decision_url, body), self._decision_url)
        except TrustPolicyError as exc:
            return self._fail(exc)

    async def decide_many(
        self, requests_: Iterable[DecisionRequest | Mapping[str, Any]]
    ) -> list[Decision]:
        """Ask for many decisions in one round trip; order kept, each as ``decide`` gives it."""
        body, count = batch_body(requests_)
        if count == 0:
            return []
        try:
            return to_decisions(await self._post(self._batch_url, body), self._batch_url, count)
        except TrustPolicyError as exc:
            return [self._fail(exc)] * count

    async def health(self, *, bundles: bool = True) -> bool:
        """Whether the agent is up (and, with ``bundles``, has activated its bundles)."""
        url = f"{self.url}/health" + ("?bundles" if bundles else "")
        try:
            async with self._open().get(url) as resp:
                await resp.read()
                return resp.status == 200  # noqa: PLR2004
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def policy_revision(self) -> str:
        """Return the revision of the policy bundle(s) the agent serves."""
        body = await self._post(self._revision_url, b"{}")
        revision = body.get("result")
        if not isinstance(revision, str):
            raise EngineError("no policy revision at this path", url=self._revision_url)
        return revision

    async def close(self) -> None:
        """Close the keep-alive session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient(url={self.url!r}, on_error={self.on_error!r})"

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # trust_env=False: never look up or use a proxy for the agent.
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                timeout=self._timeout,
                trust_env=False,
                connector=aiohttp.TCPConnector(ssl=self._ssl),
            )
        return self._session

    async def _post(self, url: str, body: bytes) -> dict[str, Any]:
        session = self._open()
        attempt = 0
        while True:
            try:
                async with session.post(url, data=body) as resp:
                    content = await resp.read()
                    return read_body(resp.status, content, url)
            except aiohttp.ClientConnectorError as exc:
                # Only a refused or failed connection is retried: nothing was evaluated.
                if attempt >= self.retries:
                    raise EngineUnavailable(
                        f"cannot reach the policy engine: {exc}", url=url
                    ) from exc
                attempt += 1
                await asyncio.sleep(0.1 * attempt)
            except TimeoutError as exc:
                raise EngineUnavailable(f"no answer within {self.timeout}s", url=url) from exc
            except aiohttp.ClientError as exc:
                raise EngineUnavailable(f"cannot reach the policy engine: {exc}", url=url) from exc

    def _fail(self, exc: TrustPolicyError) -> Decision:
        if self.on_error == "deny":
            return Decision.engine_failure(str(exc))
        raise exc


def _ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    """The TLS setting for aiohttp: a CA bundle path becomes a context, checked now."""
    if not isinstance(verify, str):
        return verify
    try:
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load the CA bundle {verify}: {exc}") from exc
