"""A typed caller of the public API; ``mypy --strict tests/typed_usage.py`` checks it."""

from __future__ import annotations

import asyncio

import trustpolicy
from trustpolicy import (
    Action,
    Actor,
    ActorRole,
    Agency,
    AsyncClient,
    Authority,
    AuthorityType,
    Client,
    Counterpart,
    Decision,
    DecisionRequest,
    EngineUnavailable,
    Finding,
    Issuer,
    LocalOPA,
    Outcome,
    Subject,
    TrustPolicyError,
)


def detainer_request() -> DecisionRequest:
    return DecisionRequest(
        action=Action.DETAIN,
        actor=Actor(agency="BPD", role=ActorRole.POLICE_OFFICER, district="D-4"),
        subject=Subject(role="arrestee", in_custody=True, eligible_for_release=True),
        counterpart=Counterpart(agency=Agency.ICE_ERO),
        authority=[Authority(type=AuthorityType.CIVIL_DETAINER, issued_by=Issuer.ICE_OFFICER)],
        purpose="civil_immigration_enforcement",
    )


def may_hold(client: Client, request: DecisionRequest) -> bool:
    try:
        decision: Decision = client.decide(request)
    except EngineUnavailable:
        return False
    except TrustPolicyError:
        return False
    reasons: tuple[Finding, ...] = decision.violations
    return decision.outcome is Outcome.ALLOW and not reasons


async def ask_async(url: str, requests: list[DecisionRequest]) -> list[str]:
    async with AsyncClient(url, timeout=1.0, on_error="deny") as client:
        decisions = await client.decide_many(requests)
        revision: str = await client.policy_revision()
    return [f"{revision}: {d.explain()}" for d in decisions]


def main() -> None:
    with LocalOPA() as opa, Client(opa.url, on_error="raise") as client:
        request = detainer_request()
        data: dict[str, object] = request.to_input()
        assert DecisionRequest.from_dict(data) == request
        print(may_hold(client, request), client.health(), opa.pid, opa.log_text()[:0])
        print(asyncio.run(ask_async(opa.url, [request])))
    print(sorted(trustpolicy.__all__))


if __name__ == "__main__":
    main()
