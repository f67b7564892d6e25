"""The cases the demo replays: the 2017 Tara Construction case, step by step.

In 2017 a worker was injured on a Tara Construction site in Boston. His employer called
the police and asked a detective to "verify" him; the detective looked him up, found an
immigration hit, and forwarded his name and that hit to ICE's enforcement and removal
division, which detained him. The steps below ask the engine about each act, then about
what the detective could lawfully have done instead.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["DemoCase", "tara_construction"]

_DETECTIVE = {"agency": "BPD", "role": "police_officer", "district": "D-4"}
_WORKER = {"role": "worker"}


@attrs.frozen
class DemoCase:
    """One request the demo asks, with a label and, when known, the expected answer."""

    label: str
    title: str
    input: dict[str, Any]
    expect: dict[str, Any] | None = None


def tara_construction() -> tuple[DemoCase, ...]:
    """Return the Tara Construction case (2017) as six questions to the engine."""
    forward = {
        "action": "share_information",
        "actor": _DETECTIVE,
        "subject": _WORKER,
        "counterpart": {"agency": "ICE-ERO"},
        "information": ["name", "immigration_status"],
    }
    return (
        DemoCase(
            "T1",
            "Employer calls; detective looks up the worker's status",
            {
                "action": "inquire_status",
                "actor": _DETECTIVE,
                "subject": _WORKER,
                "purpose": "other",
            },
        ),
        DemoCase(
            "T2",
            "Detective forwards the worker's name and hit to ICE-ERO",
            forward | {"purpose": "civil_immigration_enforcement"},
        ),
        DemoCase(
            "T3",
            "Same, claiming a criminal purpose with no criminal case",
            forward | {"purpose": "criminal_investigation"},
        ),
        DemoCase(
            # Since contract revision 2 the criminal-history exception needs a serious violent
            # charge or conviction; the worker had none, so even his record may not go to ERO.
            "T4",
            "Not lawful either: answer ICE-ERO with the worker's criminal history (no serious"
            " violent charge)",
            forward
            | {
                "subject": {"role": "worker", "charges": []},
                "information": ["criminal_history"],
                "purpose": "criminal_history_check",
            },
        ),
        DemoCase(
            "T5",
            "Lawful: certify the worker as a crime victim for a U visa",
            {
                "action": "inquire_status",
                "actor": _DETECTIVE,
                "subject": {"role": "victim"},
                "purpose": "visa_certification",
            },
        ),
        DemoCase(
            "T6",
            "Lawful: a detainer for the worker is recorded, not acted on",
            {
                "action": "receive_detainer",
                "actor": _DETECTIVE,
                "subject": {"role": "worker", "in_custody": False},
                "counterpart": {"agency": "ICE-ERO"},
                "authority": [{"type": "civil_detainer", "issued_by": "ice_officer"}],
            },
        ),
    )
