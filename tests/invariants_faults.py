"""The deliberately malformed or incomplete slice of the invariant suite (invariant 3).

Written from ``../shared/trust-act.md`` alone: :func:`malformed` breaks the published input
schema (section 3) in one place; :func:`incomplete` gives schema-valid inputs that lack a
fact the applicable provision needs (TP-INPUT-01, and the Clarifications of revision 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from invariants_space import ACTORS, CIVIL_ONLY, DATES, Input, make, random_base

if TYPE_CHECKING:
    import random


#: Each mutation makes a well-formed input malformed by the published schema (section 3).
MALFORMATIONS: dict[str, Any] = {
    "unknown_field": lambda d: d.__setitem__("priority", "high"),
    "action_unknown": lambda d: d.__setitem__("action", "deport"),
    "action_not_string": lambda d: d.__setitem__("action", 7),
    "action_missing": lambda d: d.pop("action"),
    "actor_missing": lambda d: d.pop("actor"),
    "actor_role_unknown": lambda d: d["actor"].__setitem__("role", "ice_liaison"),
    "in_custody_not_bool": lambda d: d["subject"].__setitem__("in_custody", "yes"),
    "eligible_not_bool": lambda d: d["subject"].__setitem__("eligible_for_release", 1),
    "counterpart_agency_unknown": lambda d: d.__setitem__("counterpart", {"agency": "ICE"}),
    "forwards_to_not_list": lambda d: d.__setitem__(
        "counterpart", {"agency": "OTHER", "forwards_to": "ICE-ERO"}
    ),
    "document_type_missing": lambda d: d.__setitem__("authority", [{"issued_by": "state_judge"}]),
    "issuer_unknown": lambda d: d.__setitem__(
        "authority", [{"type": "judicial_criminal_warrant", "issued_by": "clerk"}]
    ),
    "information_unknown": lambda d: d.__setitem__("information", ["ssn"]),
    "purpose_unknown": lambda d: d.__setitem__("purpose", "removal"),
    "case_without_id": lambda d: d.__setitem__("criminal_case", {"statute": "8 USC 1326"}),
    "severity_unknown": lambda d: d["subject"].__setitem__("charges", [{"severity": "violent"}]),
    "occurred_at_not_a_time": lambda d: d.__setitem__("occurred_at", "last tuesday"),
    "operation_purpose_missing": lambda d: d.__setitem__("operation", {"partner": "FBI"}),
    "input_not_object": None,  # replaced by a list below
}


def malformed(rng: random.Random, count: int) -> list[tuple[str, Any]]:
    """``count`` malformed inputs (label, document), every mutation in turn on random bases."""
    out: list[tuple[str, Any]] = []
    names = list(MALFORMATIONS)
    for n in range(count):
        name = names[n % len(names)]
        base = random_base(rng)
        mutate = MALFORMATIONS[name]
        if mutate is None:
            out.append((name, [base]))
            continue
        mutate(base)
        out.append((name, base))
    return out


def _without(doc: Input, *path: str) -> Input:
    target = doc
    for key in path[:-1]:
        target = target[key]
    target.pop(path[-1], None)
    return doc


def incomplete(rng: random.Random, count: int) -> list[tuple[str, Input]]:
    """``count`` inputs valid by the schema that lack a fact the applicable provision needs."""
    civil = {"type": "civil_detainer", "issued_by": "ice_officer"}
    history = rng.choice((("criminal_history",), ("criminal_history", "name", "date_of_birth")))
    makers: dict[str, Any] = {
        "detain_without_eligible_for_release": lambda: _without(
            make("detain", rng, docs=[civil], custody=(True, True)), "subject",
            "eligible_for_release"),
        "detain_without_in_custody": lambda: _without(
            make("detain", rng, docs=[civil], custody=(True, True)), "subject", "in_custody"),
        "detain_without_subject": lambda: _without(make("detain", rng, docs=[civil]), "subject"),
        "share_without_counterpart": lambda: make("share_information", rng, counterpart=None),
        "share_without_information": lambda: make("share_information", rng, info=None,
                                                  counterpart={"agency": "ICE-ERO"}),
        "transfer_without_counterpart": lambda: make("transfer_custody", rng, counterpart=None,
                                                     operation=None),
        "join_without_operation": lambda: make("join_operation", rng, operation=None),
        "city_status_lookup_without_purpose": lambda: make(
            "inquire_status", rng, actor=ACTORS[1], purpose=None),
        "consular_notice_without_custody": lambda: _without(
            make("inquire_status", rng, actor=ACTORS[0], purpose="consular_notification",
                 case=None), "subject", "in_custody"),
        "criminal_history_without_charges": lambda: make(
            "share_information", rng, info=history, charges=None, docs="none",
            counterpart={"agency": rng.choice(CIVIL_ONLY)}),
    }  # fmt: skip
    names = list(makers)
    out = []
    for n in range(count):
        doc = makers[names[n % len(names)]]()
        doc.pop("occurred_at", None)  # the law of today, where every provision is in force
        if n % 2:
            doc["occurred_at"] = DATES[-1]
        out.append((names[n % len(names)], doc))
    return out
