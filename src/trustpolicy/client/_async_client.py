"""The asynchronous client: the same API and the same fail-closed rules as :class:`Client`.

Built on aiohttp directly rather than opa-python-client's ``AsyncOpaClient``, for the
reasons given on :class:`Client` (its query methods drop OPA's error body and return
``{}`` for an undefined decision). Settings, bodies, answers and the call's report are
:mod:`trustpolicy.client._shared`'s, as for :class:`Client`; only the transport differs.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING, Any

import aiohttp

from trustpolicy.client._shared import (
    BATCH_PATH,
    DECISION_PATH,
    DEFAULT_URL,
    RETRY_STATUSES,
    Call,
    OnError,
    Settings,
    batch_body,
    decision_body,
    read_body,
    transport_error,
)
from trustpolicy.contract._errors import (
    ConfigError,
    EngineError,
    EngineTimeout,
    TrustPolicyError,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from types import TracebackType
    from typing import Self

    from trustpolicy.client._observe import DecisionHook
    from trustpolicy.contract._decision import Decision
    from trustpolicy.contract._models import DecisionRequest

__all__ = ["AsyncClient"]


class AsyncClient(Settings):
    """Ask an OPA agent for decisions from asyncio code; one keep-alive aiohttp session.

    The session is opened on first use, inside the running event loop; close it with
    ``await client.close()`` or ``async with AsyncClient(...)``. ``timeout`` is a deadline
    for the whole call, retries included; errors, logging and ``on_decision`` are as on
    :class:`Client`. One AsyncClient serves any number of tasks of its event loop.
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
        pool_size: int = 100,
        on_decision: DecisionHook | None = None,
    ) -> None:
        super().__init__(url, token=token, timeout=timeout, retries=retries,
                         on_error=on_error, decision_path=decision_path,
                         batch_path=batch_path, pool_size=pool_size,
                         on_decision=on_decision)  # fmt: skip
        self._ssl: ssl.SSLContext | bool = _ssl_context(verify)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def decide(self, request: DecisionRequest | Mapping[str, Any]) -> Decision:
        """Ask for one decision (``data.trustpolicy.decision``)."""
        return (await self._call("decision", decision_body(request), 1))[0]

    async def decide_many(
        self, requests_: Iterable[DecisionRequest | Mapping[str, Any]]
    ) -> list[Decision]:
        """Ask for many decisions in one round trip; order kept, each as ``decide`` gives it."""
        body, count = batch_body(requests_)
        if count == 0:
            return []
        return await self._call("batch", body, count)

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
        body, _ = await self._post(self._revision_url, b"{}", [])
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

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # trust_env=False: never look up or use a proxy for the agent.
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                timeout=self._timeout,
                trust_env=False,
                connector=aiohttp.TCPConnector(ssl=self._ssl, limit=self._pool_size),
            )
        return self._session

    async def _call(self, kind: str, body: bytes, count: int) -> list[Decision]:
        """POST ``body``; return ``count`` decisions (or fail closed); log and report it."""
        call = Call(self, kind, count)
        try:
            return call.decisions(await self._post(call.url, body, call.tries))
        except TrustPolicyError as exc:
            return call.failed(exc)
        finally:
            call.report()

    async def _post(self, url: str, body: bytes, tries: list[int]) -> tuple[dict[str, Any], int]:
        """POST until an answer, the retries are spent or the deadline (``timeout``) passes."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._attempts(url, body, tries)
        except TimeoutError as exc:
            raise EngineTimeout(f"no answer within {self.timeout}s", url=url) from exc

    async def _attempts(
        self, url: str, body: bytes, tries: list[int]
    ) -> tuple[dict[str, Any], int]:
        session = self._open()
        while True:
            tries.append(1)
            try:
                async with session.post(url, data=body) as resp:
                    content = await resp.read()
                    status = resp.status
            except aiohttp.ClientConnectorError as exc:
                # A refused or failed connection is retried: nothing was evaluated.
                if len(tries) > self.retries:
                    raise transport_error(exc, url, self.timeout) from exc
            except aiohttp.ClientError as exc:
                raise transport_error(exc, url, self.timeout) from exc
            else:
                if status not in RETRY_STATUSES or len(tries) > self.retries:
                    return read_body(status, content, url), status
            await asyncio.sleep(0.05 * 2 ** (len(tries) - 1))


def _ssl_context(verify: bool | str) -> ssl.SSLContext | bool:
    """The TLS setting for aiohttp: a CA bundle path becomes a context, checked now."""
    if not isinstance(verify, str):
        return verify
    try:
        return ssl.create_default_context(cafile=verify)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load the CA bundle {verify}: {exc}") from exc
