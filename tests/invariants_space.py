"""The enumerated input space of the invariant suite (contract revision 2, sections 2-3).

Written from ``../shared/trust-act.md`` alone (not from the Rego). Every input is a plain
JSON-able dict. The space is a structured product per action of the dimensions that matter
for that action, the other dimensions drawn from a seeded :class:`random.Random` (so a run is
reproducible), then fully random bases. :func:`variants` gives the monotonic variants of a
base (invariant 6) and :func:`malformed` the deliberately malformed or incomplete slice
(invariant 3). Nothing here talks to OPA.
"""

from __future__ import annotations

import copy
import itertools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import random

Input = dict[str, Any]

ACTIONS = (
    "inquire_status", "detain", "arrest", "transfer_custody", "share_information",
    "commit_resources", "perform_immigration_function", "join_operation", "receive_detainer",
)  # fmt: skip
AGENCIES = (
    "ICE-ERO", "ICE-HSI", "CBP", "USCIS", "FBI", "DEA", "ATF", "USMS", "STATE_POLICE",
    "CITY_DEPARTMENT", "COURT", "OTHER",
)  # fmt: skip
#: Immigration authorities (section 2 guards); CIVIL_ONLY never qualify for a criminal exception.
IMMIGRATION = ("ICE-ERO", "ICE-HSI", "CBP", "USCIS")
CIVIL_ONLY = ("ICE-ERO", "CBP", "USCIS")
DOC_TYPES = (
    "civil_detainer", "ice_administrative_warrant", "removal_order", "judicial_criminal_warrant",
    "judicial_order", "state_criminal_warrant", "criminal_probable_cause",
)  # fmt: skip
ISSUERS = ("federal_judge", "state_judge", "magistrate", "immigration_judge", "ice_officer")
JUDICIAL_ISSUERS = ("federal_judge", "state_judge", "magistrate")
NON_JUDICIAL = ("immigration_judge", "ice_officer")
JUDICIAL_TYPES = ("judicial_criminal_warrant", "judicial_order", "state_criminal_warrant")
CIVIL_TYPES = ("civil_detainer", "ice_administrative_warrant", "removal_order")
#: Every purpose of revision 2 (``consular_notification`` is new) and ``None``: no purpose.
PURPOSES = (
    "civil_immigration_enforcement", "criminal_investigation", "visa_certification",
    "criminal_history_check", "public_safety", "statistics", "benefit_eligibility",
    "consular_notification", "other", None,
)  # fmt: skip
STATUS_STATUTES = ("8 USC 1326", "18 USC 1546", "8 USC 1324")
CATEGORIES = (
    "human_trafficking", "narcotics", "weapons", "cybercrime", "financial", "document_fraud",
    "gang", "child_exploitation", "illegal_reentry", "other",
)  # fmt: skip
CASE_ID = "CR-2026-00417"
#: No case; a case with neither statute nor category; each status statute; each category.
CASES: tuple[dict[str, str] | None, ...] = (
    None,
    {"id": CASE_ID},
    *({"id": CASE_ID, "statute": s} for s in STATUS_STATUTES),
    *({"id": CASE_ID, "category": c} for c in CATEGORIES),
)
PERSONAL = (
    "name", "date_of_birth", "home_address", "work_address", "phone", "physical_description",
    "photo", "incident_report",
)  # fmt: skip
RELEASE = ("release_date", "custody_status")
STATUS = ("immigration_status", "citizenship")
INFO_SETS: tuple[tuple[str, ...], ...] = (
    ("name",), ("home_address",), ("incident_report",), ("photo", "physical_description"),
    ("release_date",), ("custody_status",), ("immigration_status",), ("citizenship",),
    ("criminal_history",), ("criminal_history", "name", "date_of_birth"),
    ("aggregate_statistics",), ("name", "immigration_status"), ("name", "release_date"),
    ("criminal_history", "release_date"), ("criminal_history", "immigration_status"),
    ("work_address", "phone", "citizenship"),
)  # fmt: skip
CUSTODY = ((True, True), (True, False), (False, False))
CHARGES = (None, ("serious_violent_felony",), ("misdemeanor",))
#: No date (the law of today), then one day inside each law version (section 2, Versions),
#: and the first day of each version at noon UTC (the same day in Boston).
DATES = (
    None, "2012-06-01T12:00:00Z", "2016-03-01T12:00:00Z", "2018-03-01T12:00:00Z",
    "2022-03-01T12:00:00Z",
)  # fmt: skip
BOUNDARY_DATES = (
    "2014-08-19T12:00:00Z", "2014-08-20T12:00:00Z", "2017-07-23T12:00:00Z",
    "2017-07-24T12:00:00Z", "2019-12-18T12:00:00Z", "2019-12-19T12:00:00Z",
)  # fmt: skip
ACTORS = (
    {"agency": "BPD", "role": "police_officer", "district": "C-11"},
    {"agency": "Inspectional Services", "role": "city_employee"},
)
SUBJECT_ROLES = ("suspect", "arrestee", "victim", "witness", "caller", "worker", "other")
#: Documents: every type from every issuer, and every type with no issuer.
DOCS: tuple[dict[str, str], ...] = (
    *({"type": t, "issued_by": i} for t in DOC_TYPES for i in ISSUERS),
    *({"type": t} for t in DOC_TYPES),
)
DOC_SETS: tuple[tuple[dict[str, str], ...], ...] = (
    (),
    *((d,) for d in DOCS),
    *itertools.combinations(DOCS, 2),
)
Recipient = tuple[dict[str, Any] | None, dict[str, Any] | None]
#: (counterpart, operation) shapes: none; each agency; a city department or OTHER (and a few
#: federal agencies) forwarding to an immigration authority.
COUNTERPARTS: tuple[dict[str, Any] | None, ...] = (
    None,
    *({"agency": a} for a in AGENCIES),
    *({"agency": a, "forwards_to": [f]} for a in ("CITY_DEPARTMENT", "OTHER") for f in IMMIGRATION),
    {"agency": "ICE-HSI", "forwards_to": ["ICE-ERO"]},
    {"agency": "FBI", "forwards_to": ["CBP"]},
)
OPERATIONS: tuple[dict[str, Any], ...] = tuple(
    {"primary_purpose": p} | ({"partner": a} if a else {})
    for p in ("immigration_enforcement", "criminal_enforcement", "public_safety")
    for a in (None, *AGENCIES)
)
DETAINERS = (
    {"form": "I-247A", "basis": ["removal_proceedings_pending"], "received_via": "fax",
     "received_at": "2026-03-01T09:00:00Z", "reference": "DET-77120"},
    {"form": "I-203", "basis": ["final_order_of_removal"], "received_via": "email"},
)  # fmt: skip


def pick_docs(rng: random.Random, kind: str) -> list[dict[str, str]]:
    """One document set of a named class (``any`` draws from every set up to two)."""
    judicial = rng.choice(JUDICIAL_ISSUERS)
    non_judicial = rng.choice(("immigration_judge", "ice_officer"))
    civil = {"type": rng.choice(CIVIL_TYPES), "issued_by": non_judicial}
    table = {
        "none": [],
        "jcw": [{"type": "judicial_criminal_warrant", "issued_by": judicial}],
        "jcw_fake": [{"type": "judicial_criminal_warrant", "issued_by": non_judicial}],
        "order": [{"type": "judicial_order", "issued_by": judicial}],
        "order_fake": [{"type": "judicial_order", "issued_by": non_judicial}],
        "state": [{"type": "state_criminal_warrant", "issued_by": rng.choice(ISSUERS)}],
        "civil": [civil],
        "civil_jcw": [civil, {"type": "judicial_criminal_warrant", "issued_by": judicial}],
    }
    if kind == "any":
        return [dict(d) for d in rng.choice(DOC_SETS)]
    return table[kind]


DOC_KINDS = ("none", "jcw", "jcw_fake", "order", "order_fake", "state", "civil", "civil_jcw")


def make(
    action: str,
    rng: random.Random,
    *,
    actor: dict[str, Any] | None = None,
    counterpart: dict[str, Any] | str | None = "random",
    operation: dict[str, Any] | str | None = "random",
    docs: list[dict[str, str]] | str = "any",
    purpose: str | None = "random",
    case: dict[str, str] | str | None = "random",
    info: tuple[str, ...] | str | None = "random",
    custody: tuple[bool, bool] | None = None,
    charges: tuple[str, ...] | str | None = "random",
    date: str | None = "random",
) -> Input:
    """A well-formed input; every dimension not given is drawn from ``rng``."""
    doc: Input = {"action": action, "actor": dict(actor or rng.choice(ACTORS))}
    in_custody, eligible = custody or rng.choice(CUSTODY)
    subject: Input = {"role": rng.choice(SUBJECT_ROLES), "in_custody": in_custody,
                      "eligible_for_release": eligible}  # fmt: skip
    charges = rng.choice(CHARGES) if charges == "random" else charges
    if charges:
        subject["charges"] = [{"severity": s} for s in charges]
    doc["subject"] = subject
    if counterpart == "random":
        counterpart = rng.choice(COUNTERPARTS)
    if counterpart is not None:
        doc["counterpart"] = copy.deepcopy(counterpart)
    if isinstance(operation, str):
        operation = rng.choice(OPERATIONS) if rng.random() < 0.3 else None
    if operation is not None:
        doc["operation"] = dict(operation)
    authority = pick_docs(rng, docs) if isinstance(docs, str) else docs
    if authority:
        doc["authority"] = [dict(d) for d in authority]
    purpose = rng.choice(PURPOSES) if purpose == "random" else purpose
    if purpose is not None:
        doc["purpose"] = purpose
    case = rng.choice(CASES) if isinstance(case, str) else case
    if case is not None:
        doc["criminal_case"] = dict(case)
    info = rng.choice(INFO_SETS) if info == "random" else info
    if info:
        doc["information"] = list(info)
    if date == "random":
        date = rng.choice(DATES + BOUNDARY_DATES) if rng.random() < 0.2 else rng.choice(DATES)
    if date is not None:
        doc["occurred_at"] = date
    if action in ("detain", "receive_detainer") and rng.random() < 0.1:
        doc["detainer"] = dict(rng.choice(DETAINERS))  # revision 2 field
    return doc


def core_bases(rng: random.Random) -> list[Input]:
    """The structured product per action of the dimensions that matter for it."""
    out: list[Input] = []
    add = out.append
    for cp, info, purpose, kind in itertools.product(COUNTERPARTS, INFO_SETS, PURPOSES, DOC_KINDS):
        if kind in ("order_fake", "civil_jcw") and rng.random() < 0.5:
            continue
        add(make("share_information", rng, counterpart=cp, info=info, purpose=purpose,
                 docs=pick_docs(rng, kind)))  # fmt: skip
    for cp, kind, case, date in itertools.product(COUNTERPARTS, DOC_KINDS, CASES, DATES):
        add(make("transfer_custody", rng, counterpart=cp, docs=pick_docs(rng, kind), case=case,
                 date=date, custody=(True, rng.choice((True, False)))))  # fmt: skip
    singles = DOC_SETS[: 1 + len(DOCS)]
    for docs, custody, date, cp in itertools.product(
        singles, CUSTODY, DATES, (None, {"agency": "ICE-ERO"})
    ):
        for action in ("detain", "arrest"):
            add(make(action, rng, docs=list(docs), custody=custody, date=date, counterpart=cp,
                     operation=None, case=rng.choice((None, {"id": CASE_ID}))))  # fmt: skip
        add(make("receive_detainer", rng, docs=list(docs), custody=custody, date=date,
                 counterpart=cp, operation=None))  # fmt: skip
    civil = [s for s in DOC_SETS[1:] if all(civil_paper(d) for d in s)]
    for docs, date, cp in itertools.product(civil, DATES, (None, {"agency": "ICE-ERO"})):
        add(make("detain", rng, docs=list(docs), custody=(True, True), date=date, counterpart=cp,
                 operation=None))  # fmt: skip
    for _ in range(3000):  # detain and arrest on two documents, every pair reachable
        for action in ("detain", "arrest"):
            add(make(action, rng, docs=list(rng.choice(DOC_SETS[1 + len(DOCS) :])),
                     operation=None))  # fmt: skip
    cps = (None, *({"agency": a} for a in IMMIGRATION), {"agency": "FBI"}, COUNTERPARTS[-6])
    for actor, purpose, case, cp, in_custody in itertools.product(
        ACTORS, PURPOSES, CASES, cps, (True, False)
    ):
        add(make("inquire_status", rng, actor=actor, purpose=purpose, case=case, counterpart=cp,
                 custody=(in_custody, False), operation=None, info=None))  # fmt: skip
    cps = (None, {"agency": "ICE-ERO"}, {"agency": "CBP"}, {"agency": "ICE-HSI"},
           {"agency": "FBI"}, COUNTERPARTS[13])  # fmt: skip
    three_cases = (None, {"id": CASE_ID}, "random")
    for op, cp, purpose, case in itertools.product((None, *OPERATIONS), cps, PURPOSES, three_cases):
        add(make("commit_resources", rng, operation=op, counterpart=cp, purpose=purpose,
                 case=case, info=None))  # fmt: skip
    for op, purpose, case, kind in itertools.product(
        OPERATIONS, PURPOSES, three_cases, ("none", "jcw", "jcw_fake", "civil")
    ):
        add(make("join_operation", rng, operation=op, purpose=purpose, case=case,
                 docs=pick_docs(rng, kind), info=None))  # fmt: skip
    for actor, purpose, kind, case, date in itertools.product(
        ACTORS, PURPOSES, DOC_KINDS, three_cases, DATES
    ):
        add(make("perform_immigration_function", rng, actor=actor, purpose=purpose,
                 docs=pick_docs(rng, kind), case=case, date=date))  # fmt: skip
    return out


def civil_paper(doc: dict[str, str]) -> bool:
    """A civil document, or a warrant or order that an immigration judge or ICE officer issued."""
    if doc.get("type") in CIVIL_TYPES:
        return doc.get("issued_by") not in JUDICIAL_ISSUERS
    return doc.get("type") in JUDICIAL_TYPES[:2] and doc.get("issued_by") in NON_JUDICIAL


def random_base(rng: random.Random) -> Input:
    """A fully random well-formed base (every dimension drawn)."""
    return make(rng.choice(ACTIONS), rng)


def reaches(doc: Input, agencies: tuple[str, ...]) -> bool:
    """Whether the act reaches one of ``agencies`` as counterpart, forwarding or partner."""
    cp = doc.get("counterpart") or {}
    names = {cp.get("agency"), *(cp.get("forwards_to") or ())}
    names.add((doc.get("operation") or {}).get("partner"))
    return bool(names & set(agencies))


def is_judicial_doc(doc: dict[str, str]) -> bool:
    """A judicial document: a warrant or order of a court that a judicial officer issued."""
    return doc.get("type") in JUDICIAL_TYPES and doc.get("issued_by") in JUDICIAL_ISSUERS


def forward_to(doc: Input, agency: str) -> None:
    doc["counterpart"].setdefault("forwards_to", []).append(agency)


def variants(base: Input) -> list[tuple[str, Input]]:  # noqa: PLR0912
    """The monotonic variants of a base (invariant 6), each with its kind.

    ``purpose`` (only for an act reaching ICE-ERO, CBP or USCIS): every other purpose, and
    none. ``add_authority``: an immigration authority added as counterpart (none before), as
    a forwarding recipient of the counterpart, or as the operation's partner (none before).
    ``add_civil``: one civil document added. ``drop_judicial``: one judicial document removed.
    ``drop_case``: the criminal case removed.
    """
    out: list[tuple[str, Input]] = []

    def with_(kind: str, change: Any) -> None:
        doc = copy.deepcopy(base)
        change(doc)
        out.append((kind, doc))

    if reaches(base, CIVIL_ONLY):
        for purpose in PURPOSES:
            if purpose != base.get("purpose"):
                with_("purpose", lambda d, p=purpose: set_or_drop(d, "purpose", p))
    for agency in IMMIGRATION:
        cp = base.get("counterpart")
        if cp is None:
            with_("add_authority", lambda d, a=agency: d.__setitem__("counterpart", {"agency": a}))
        elif agency != cp["agency"] and agency not in cp.get("forwards_to", ()):
            with_("add_authority", lambda d, a=agency: forward_to(d, a))
        op = base.get("operation")
        if op is not None and "partner" not in op:
            with_("add_authority", lambda d, a=agency: d["operation"].__setitem__("partner", a))
    if len(base.get("authority", ())) < 3:
        for civil, issuer in itertools.product(CIVIL_TYPES, ("ice_officer", "immigration_judge")):
            new = {"type": civil, "issued_by": issuer}
            if new not in base.get("authority", ()):
                with_("add_civil",
                      lambda d, n=new: d.setdefault("authority", []).append(n))  # fmt: skip
    for i, paper in enumerate(base.get("authority", ())):
        if is_judicial_doc(paper):
            with_("drop_judicial", lambda d, i=i: drop_item(d, "authority", i))
    if "criminal_case" in base:
        with_("drop_case", lambda d: d.pop("criminal_case"))
    return out


def set_or_drop(doc: Input, key: str, value: Any) -> None:
    if value is None:
        doc.pop(key, None)
    else:
        doc[key] = value


def drop_item(doc: Input, key: str, index: int) -> None:
    del doc[key][index]
    if not doc[key]:
        del doc[key]
