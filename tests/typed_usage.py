"""A typed caller of the public API; ``mypy --strict tests/typed_usage.py`` checks it."""

from __future__ import annotations

import asyncio
import datetime as dt

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
    Detainer,
    DetainerForm,
    EngineUnavailable,
    Finding,
    InvalidRequest,
    Issuer,
    Law,
    LocalOPA,
    Outcome,
    Problem,
    Purpose,
    Subject,
    TrustPolicyError,
    Version,
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


def consular_question(when: dt.datetime) -> DecisionRequest:
    return DecisionRequest(
        action="inquire_status",
        actor=Actor(agency="BPD", role="police_officer"),
        subject=Subject(role="arrestee", in_custody=True),
        purpose=Purpose.CONSULAR_NOTIFICATION,
        occurred_at=when,
        detainer=Detainer(form=DetainerForm.I_247A, basis=["biometric_records_match"]),
    )


def misspelt_values_do_not_type_check() -> None:
    """Never called. Strict mypy reports an unneeded ``type: ignore``, so each ignore below
    proves that mypy refuses the misspelt value (as the request check refuses it at run time).
    """
    Actor(agency="BPD", role="police_oficer")  # type: ignore[arg-type]
    Subject(role="arestee")  # type: ignore[arg-type]
    DecisionRequest(action="detian", actor=Actor(agency="BPD", role="police_officer"))  # type: ignore[arg-type]
    Counterpart(agency="ICE")  # type: ignore[arg-type]
    Authority(type="civil_detainer", issued_by="judge")  # type: ignore[arg-type]
    Detainer(form="I-247", received_via="telex")  # type: ignore[arg-type]
    Finding(rule="BTA-DET-01", message="m", version="BTA-2020")  # type: ignore[arg-type]
    Law(versions=["BTA-2018"])  # type: ignore[list-item]


def the_law_applied(decision: Decision) -> str:
    law: Law = decision.law
    day: dt.date | None = law.date
    newest: Version | None = law.versions[-1] if law.versions else None
    versions = {f.rule: f.version for f in decision.findings}
    document: dict[str, object] = decision.to_dict()
    return f"{day} {newest} {versions} {len(document)}"


def problem_paths(error: InvalidRequest) -> list[str]:
    problems: tuple[Problem, ...] = error.problems
    return [f"{p.path}: {p.message}" for p in problems]


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
        spring_2017 = dt.datetime(2017, 3, 15, 9, 30, tzinfo=dt.UTC)
        print(the_law_applied(client.decide(consular_question(spring_2017))))
    print(sorted(trustpolicy.__all__))


if __name__ == "__main__":
    main()
