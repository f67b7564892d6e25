"""The benchmark corpus: the worked examples plus deterministic, realistic variations.

Every action is crossed with every counterpart agency and every authority combination
(the systematic part); random but seeded variations of the other facts fill the corpus
up to the requested size. About 3% of those are incomplete or out of the schema in ways the SDK
accepts and the engine must deny with TP-INPUT-01 (a missing fact, a bad district); a
further set of malformed documents (unknown field, unknown enum value, wrong type) is
kept apart, since the SDK refuses those before any I/O and they cannot be timed alike.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKED_EXAMPLES = ROOT / "tests" / "data" / "worked-examples.json"

ACTIONS = (
    "inquire_status",
    "detain",
    "arrest",
    "transfer_custody",
    "share_information",
    "commit_resources",
    "perform_immigration_function",
    "join_operation",
    "receive_detainer",
)
AGENCIES = (
    "ICE-ERO",
    "ICE-HSI",
    "CBP",
    "USCIS",
    "FBI",
    "DEA",
    "ATF",
    "USMS",
    "STATE_POLICE",
    "CITY_DEPARTMENT",
    "COURT",
    "OTHER",
)
# Documents as they are really presented: type with a plausible (or a wrong) issuer.
DOCUMENTS: tuple[dict[str, str], ...] = (
    {"type": "civil_detainer", "issued_by": "ice_officer"},
    {"type": "ice_administrative_warrant", "issued_by": "ice_officer"},
    {"type": "removal_order", "issued_by": "immigration_judge"},
    {"type": "judicial_criminal_warrant", "issued_by": "magistrate"},
    {"type": "judicial_criminal_warrant", "issued_by": "federal_judge"},
    {"type": "judicial_criminal_warrant", "issued_by": "immigration_judge"},
    {"type": "judicial_order", "issued_by": "state_judge"},
    {"type": "state_criminal_warrant", "issued_by": "state_judge"},
    {"type": "criminal_probable_cause"},
)
# Authority combinations: none, each document alone, and the pairs seen in practice
# (a detainer backed by a warrant, an administrative warrant with probable cause...).
AUTHORITY_SETS: tuple[tuple[dict[str, str], ...], ...] = (
    (),
    *((d,) for d in DOCUMENTS),
    (DOCUMENTS[0], DOCUMENTS[3]),
    (DOCUMENTS[0], DOCUMENTS[5]),
    (DOCUMENTS[1], DOCUMENTS[8]),
    (DOCUMENTS[0], DOCUMENTS[6]),
    (DOCUMENTS[2], DOCUMENTS[7]),
)
PURPOSES = (
    "civil_immigration_enforcement",
    "criminal_investigation",
    "visa_certification",
    "criminal_history_check",
    "public_safety",
    "statistics",
    "benefit_eligibility",
    "other",
)
INFORMATION = (
    "name",
    "date_of_birth",
    "home_address",
    "work_address",
    "phone",
    "physical_description",
    "photo",
    "incident_report",
    "release_date",
    "custody_status",
    "immigration_status",
    "citizenship",
    "criminal_history",
    "aggregate_statistics",
)
CATEGORIES = (
    ("human_trafficking", "18 USC 1591"),
    ("narcotics", "21 USC 841"),
    ("weapons", "18 USC 922"),
    ("cybercrime", "18 USC 1030"),
    ("financial", "18 USC 1956"),
    ("document_fraud", "18 USC 1546"),
    ("gang", "18 USC 1962"),
    ("child_exploitation", "18 USC 2251"),
    ("illegal_reentry", "8 USC 1326"),
    ("other", None),
)
DISTRICTS = (
    "A-1", "A-7", "A-15", "B-2", "B-3", "C-6", "C-11", "D-4", "D-14", "E-5", "E-13", "E-18",
)  # fmt: skip
DEPARTMENTS = ("Boston Public Health Commission", "Inspectional Services", "BPS", "BCYF")
SUBJECT_ROLES = ("suspect", "arrestee", "victim", "witness", "caller", "worker", "other")
SEVERITIES = ("infraction", "misdemeanor", "felony", "serious_violent_felony")
OPERATION_PURPOSES = ("immigration_enforcement", "criminal_enforcement", "public_safety")


def worked_examples() -> list[dict[str, Any]]:
    """The twelve worked examples' input documents."""
    return [e["input"] for e in json.loads(WORKED_EXAMPLES.read_text())]


def _actor(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.85:
        return {"agency": "BPD", "role": "police_officer", "district": rng.choice(DISTRICTS)}
    return {"agency": rng.choice(DEPARTMENTS), "role": "city_employee"}


def _subject(rng: random.Random, action: str) -> dict[str, Any]:
    subject: dict[str, Any] = {"role": rng.choice(SUBJECT_ROLES)}
    if action in ("detain", "transfer_custody", "receive_detainer") or rng.random() < 0.4:
        subject["role"] = rng.choice(("arrestee", "suspect"))
        subject["in_custody"] = True
        subject["eligible_for_release"] = rng.random() < 0.6
        if rng.random() < 0.7:
            subject["charges"] = [
                {"severity": rng.choice(SEVERITIES)} for _ in range(rng.randint(1, 3))
            ]
    return subject


def _counterpart(rng: random.Random, agency: str) -> dict[str, Any]:
    counterpart: dict[str, Any] = {"agency": agency}
    if agency in ("CITY_DEPARTMENT", "OTHER", "STATE_POLICE", "FBI") and rng.random() < 0.25:
        counterpart["forwards_to"] = rng.sample(("ICE-ERO", "ICE-HSI", "CBP", "USMS"), 1)
    return counterpart


def _case(rng: random.Random) -> dict[str, Any]:
    category, statute = rng.choice(CATEGORIES)
    case: dict[str, Any] = {"id": f"{rng.randint(1, 2):d}:26-cr-{rng.randint(1, 9999):04d}"}
    if statute is not None:
        case["statute"] = statute
    case["category"] = category
    return case


def request(
    rng: random.Random, action: str, agency: str, authority: tuple[dict[str, str], ...]
) -> dict[str, Any]:
    """One realistic input document for this action, counterpart and authority."""
    doc: dict[str, Any] = {"action": action, "actor": _actor(rng)}
    if action not in ("perform_immigration_function", "join_operation") or rng.random() < 0.3:
        doc["subject"] = _subject(rng, action)
    doc["counterpart"] = _counterpart(rng, agency)
    if authority:
        doc["authority"] = [dict(d) for d in authority]
    criminal = any(
        d["type"] not in ("civil_detainer", "ice_administrative_warrant") for d in authority
    )
    if action == "inquire_status":
        doc["purpose"] = rng.choice(("other", "visa_certification", "criminal_investigation"))
    elif action == "share_information":
        doc["information"] = rng.sample(INFORMATION, rng.randint(1, 4))
        doc["purpose"] = rng.choice(PURPOSES)
    elif action in ("commit_resources", "join_operation"):
        doc["operation"] = {"primary_purpose": rng.choice(OPERATION_PURPOSES), "partner": agency}
        doc["purpose"] = rng.choice(("civil_immigration_enforcement", "public_safety", "other"))
    else:
        doc["purpose"] = rng.choice(PURPOSES)
    if criminal or rng.random() < 0.3:
        doc["criminal_case"] = _case(rng)
        if rng.random() < 0.7:
            doc["purpose"] = "criminal_investigation"
    if rng.random() < 0.2:
        month, day, hour = rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23)
        doc["occurred_at"] = f"2026-{month:02d}-{day:02d}T{hour:02d}:15:00-05:00"
    return doc


def incomplete(rng: random.Random, doc: dict[str, Any]) -> dict[str, Any]:
    """Spoil a request the way only the engine notices: a missing fact or a bad district."""
    doc = json.loads(json.dumps(doc))
    kind = rng.randrange(4)
    if kind == 0:
        doc["action"] = "detain"
        doc.setdefault("subject", {"role": "arrestee"}).pop("eligible_for_release", None)
    elif kind == 1:
        doc["action"] = "share_information"
        doc.pop("information", None)
    elif kind == 2:
        doc["action"] = "transfer_custody"
        doc.pop("counterpart", None)
    else:
        doc["actor"] = {"agency": "BPD", "role": "police_officer", "district": "c11"}
    return doc


def malformed(rng: random.Random, doc: dict[str, Any]) -> dict[str, Any]:
    """Spoil a request so the SDK refuses it before sending: TP-INPUT-01 on the raw path."""
    doc = json.loads(json.dumps(doc))
    kind = rng.randrange(4)
    if kind == 0:
        doc["action"] = "deport"
    elif kind == 1:
        doc["extra_field"] = True
    elif kind == 2:
        doc["counterpart"] = {"agency": "ICE"}
    else:
        doc["authority"] = "civil_detainer"
    return doc


def build(size: int, seed: int = 20260101) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (sendable corpus of ``size`` requests, malformed requests), deterministically."""
    rng = random.Random(seed)
    corpus = worked_examples()
    for action, agency, authority in itertools.product(ACTIONS, AGENCIES, AUTHORITY_SETS):
        corpus.append(request(rng, action, agency, authority))
    while len(corpus) < size:
        doc = request(rng, rng.choice(ACTIONS), rng.choice(AGENCIES), rng.choice(AUTHORITY_SETS))
        corpus.append(incomplete(rng, doc) if rng.random() < 0.03 else doc)
    corpus = corpus[:size]
    # Shuffle past the worked examples so every slice of the run sees every kind.
    head, tail = corpus[:12], corpus[12:]
    rng.shuffle(tail)
    bad = [malformed(rng, corpus[rng.randrange(len(corpus))]) for _ in range(max(20, size // 100))]
    return head + tail, bad
