"""The demo's Tara Construction steps as of March 2017 and today, on a real signed bundle.

In March 2017 the 2014 Trust Act covered only holds on civil detainer requests: forwarding
the worker's name to ICE-ERO went to legal review (8 U.S.C. § 1373) but broke no Boston
rule; a hold on an administrative warrant, the release date and the hand-over were not
covered; *Lunn* came in July 2017. Today each of those is denied by the provision the 2019
amendment (or Lunn) added, and the sentence for each step says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from trustpolicy import SigningKey, build_bundle, generate_signing_key, policies_dir, sign_bundle
from trustpolicy.cli._demo_versions import MARCH_2017, then_and_now, what_changed

if TYPE_CHECKING:
    from pathlib import Path

#: Step: (outcome and rules in March 2017, outcome and rules today).
EXPECTED = {
    "T7": (("escalate", {"FED-1373-ESC"}), ("deny", {"BTA-INFO-01", "FED-1373-ESC"})),
    "T8": (("escalate", {"FED-1373-ESC"}), ("deny", {"BTA-INFO-01", "FED-1373-ESC"})),
    "T1": (("allow", set()), ("deny", {"BTA-INQ-01"})),
    "T5": (("allow", set()), ("allow", {"EXC-VISA-CERT"})),
    "H1": (("allow", {"BTA-RPT-01"}), ("allow", {"BTA-RPT-01"})),
    "H2": (
        ("deny", {"BTA-DET-01", "BTA-RPT-01"}),
        ("deny", {"BTA-DET-01", "MA-LUNN-01", "BTA-RPT-01"}),
    ),
    "H3": (("allow", set()), ("deny", {"BTA-DET-01"})),
    "H4": (("allow", set()), ("deny", {"BTA-INFO-02"})),
    "H5": (("allow", {"BTA-RPT-01"}), ("deny", {"BTA-XFER-01", "BTA-RPT-01"})),
}


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("demo-versions")
    pair = generate_signing_key(tmp / "keys", name="demo")
    bundle = tmp / "trustpolicy.tar.gz"
    build_bundle(policies_dir(), bundle)
    sign_bundle(bundle, SigningKey.from_file(pair.private, key_id="demo"))
    return bundle, pair.public


def test_each_step_is_decided_under_the_2017_law_and_today_s(signed) -> None:
    lines: list[str] = []
    rows = then_and_now(lines.append, signed[0], signed[1], "demo")
    by_label = {case.label: (then, now) for case, then, now in rows}
    for label, ((then_outcome, then_rules), (now_outcome, now_rules)) in EXPECTED.items():
        then, now = by_label[label]
        assert (then.outcome.value, set(then.rules)) == (then_outcome, then_rules), label
        assert (now.outcome.value, set(now.rules)) == (now_outcome, now_rules), label
        assert str(then.law.date) == MARCH_2017.date().isoformat() == "2017-03-15"
        assert [v.value for v in then.law.versions] == ["US-1373", "BTA-2014"]
    text = " ".join(" ".join(lines).split())
    assert "because the 2019 amendment (BTA-2019) added BTA-INFO-01." in text
    assert "because Lunn v. Commonwealth of July 2017 (MA-LUNN) added MA-LUNN-01." in text
    assert "Unchanged: allow (BTA-RPT-01) under both." in text
    assert "law in force on 2017-03-15: US-1373, BTA-2014" in text


def test_the_sentence_names_the_version_that_added_each_rule(signed) -> None:
    rows = then_and_now(lambda _: None, signed[0], signed[1], "demo")
    _, then, now = next(r for r in rows if r[0].label == "H5")
    assert what_changed(then, now) == (
        "March 2017: allow (BTA-RPT-01); today: deny (BTA-RPT-01, BTA-XFER-01), because the "
        "2019 amendment (BTA-2019) added BTA-XFER-01."
    )
    assert what_changed(now, now) == "Unchanged: deny (BTA-RPT-01, BTA-XFER-01) under both."
