"""The command line, run as a user runs it: the real entry point in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest
import requests

from conftest import ROOT, WORKED_EXAMPLES
from trustpolicy import BundleServer, DecisionStore, LocalOPA, generate_signing_key

if TYPE_CHECKING:
    from pathlib import Path

EXAMPLES: list[dict[str, Any]] = json.loads(WORKED_EXAMPLES.read_text())
STOP = EXAMPLES[2]["input"]  # 3: status question at a traffic stop -> deny BTA-INQ-01
UVISA = EXAMPLES[3]["input"]  # 4: U-visa certification -> allow
VISA_COPY = EXAMPLES[6]["input"]  # 7: status information only -> escalate
TOKEN = "cli-agent-token-0123456789"


def run(
    *args: str | Path, stdin: str | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPOLICY_")}
    return subprocess.run(
        [sys.executable, "-m", "trustpolicy", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def one_error_line(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0]


# -- decide -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_input", "outcome", "code"),
    [(STOP, "deny", 1), (UVISA, "allow", 0), (VISA_COPY, "escalate", 3)],
    ids=["deny-1", "allow-0", "escalate-3"],
)
def test_decide_local_exit_code_follows_the_outcome(tmp_path, request_input, outcome, code) -> None:
    proc = run("decide", "--local", write(tmp_path / "r.json", request_input))
    assert proc.returncode == code, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["outcome"] == outcome
    assert doc["allowed"] is (outcome == "allow")
    assert set(doc) >= {"violations", "exceptions", "escalations", "obligations", "policy"}


def test_decide_batch_array_gives_an_array_and_the_most_severe_exit(tmp_path) -> None:
    batch = [e["input"] for e in EXAMPLES]
    proc = run("decide", "--local", write(tmp_path / "batch.json", batch))
    assert proc.returncode == 1  # deny outranks escalate and allow
    docs = json.loads(proc.stdout)
    assert [d["outcome"] for d in docs] == [e["expect"]["outcome"] for e in EXAMPLES]
    rules = [sorted(v["rule"] for v in d["violations"]) for d in docs]
    assert rules == [e["expect"]["violations"] for e in EXAMPLES]


def test_decide_json_lines_from_stdin_escalate_outranks_allow() -> None:
    lines = "\n".join(json.dumps(x) for x in (UVISA, VISA_COPY, UVISA)) + "\n"
    proc = run("decide", "--local", "-", stdin=lines)
    assert proc.returncode == 3, proc.stderr
    outcomes = [json.loads(line)["outcome"] for line in proc.stdout.splitlines()]
    assert outcomes == ["allow", "escalate", "allow"]


def test_decide_text_format_is_the_officers_explanation(tmp_path) -> None:
    proc = run("decide", "--local", "--format", "text", write(tmp_path / "r.json", STOP))
    assert proc.returncode == 1
    assert proc.stdout.startswith("Not allowed.")
    assert "BTA-INQ-01" in proc.stdout


def test_explain_says_what_was_asked_and_why(tmp_path) -> None:
    proc = run("explain", "--local", write(tmp_path / "r.json", EXAMPLES[0]["input"]))
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert out.startswith("Asked: A BPD police officer (district D-4) wants to hold the person")
    assert "Answer: Not allowed." in out
    assert "BTA-DET-01" in out
    assert "confidence: text" in out
    assert "Must be recorded:\n  - BTA-RPT-01" in out


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ('{"action": ', ["invalid JSON"]),
        (
            '{"action": "fly", "actor": {"agency": "BPD", "role": "police_officer"}}',
            ["action: must be one of"],
        ),
        (
            '{"action": "detain", "actor": {"agency": "BPD", "role": "police_officer"}, "x": 1}',
            ["unknown field(s) x"],
        ),
        (
            '{"action": "detain", "actor": {"agency": "BPD", "role": "mayor"}}',
            ["actor.role: must be one of"],
        ),
        ('{"action": "detain"}', ["actor: required"]),
        ("[]", ["empty"]),
        ("", ["empty input"]),
        ("[1]", ["[0]: must be a request object"]),
        (
            '{"action": "detain", "actor": {"agency": "BPD", "role": "police_officer"}}\n{"x": \n',
            [":2: invalid JSON"],
        ),
    ],
    ids=[
        "json",
        "enum",
        "unknown-field",
        "nested-enum",
        "required",
        "empty-list",
        "empty",
        "not-object",
        "jsonl-line",
    ],
)
def test_bad_input_is_one_line_naming_the_field_exit_2(tmp_path, content, needles) -> None:
    path = write(tmp_path / "bad.json", content)
    proc = run("decide", "--url", "http://127.0.0.1:9", path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    one_error_line(proc, str(path), *needles)


def test_missing_file_is_one_line_exit_2(tmp_path) -> None:
    proc = run("decide", "--local", tmp_path / "nope.json")
    assert proc.returncode == 2
    one_error_line(proc, "nope.json", "no such file")


def test_usage_error_is_one_line_exit_2() -> None:
    proc = run("decide", "--frobnicate", "x.json")
    assert proc.returncode == 2
    one_error_line(proc, "--frobnicate")


def test_engine_unavailable_exit_4_and_never_an_allow(tmp_path) -> None:
    proc = run("decide", "--url", "http://127.0.0.1:9", write(tmp_path / "r.json", UVISA))
    assert proc.returncode == 4
    assert proc.stdout == ""
    one_error_line(proc, "cannot reach the policy engine")


def test_token_from_file_reaches_the_agent_and_is_never_printed(tmp_path) -> None:
    token_file = write(tmp_path / "token", "s3cret-token-value\n")
    request = write(tmp_path / "r.json", STOP)
    proc = run("decide", "--token-file", token_file, "--url", "http://127.0.0.1:9", request)
    assert proc.returncode == 4
    assert "s3cret" not in proc.stdout + proc.stderr
    proc = run("decide", "--token-file", tmp_path / "missing", request)
    assert proc.returncode == 2
    one_error_line(proc, "missing")


HELP_SCRIPT = """
import contextlib, io, json, sys
from trustpolicy.cli._cli import main
out = {}
for command in json.loads(sys.argv[1]):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main([*command, "--help"])
    out[" ".join(command)] = [code, buf.getvalue()]
print(json.dumps(out))
"""
COMMANDS = [[], ["decide"], ["explain"], ["provisions"], ["test"], ["report"], ["serve"], ["demo"],
            ["bundle"], ["bundle", "build"], ["bundle", "sign"], ["bundle", "verify"],
            ["bundle", "serve"], ["agent-config"], ["impact"]]  # fmt: skip


def test_every_command_has_help_with_an_example() -> None:
    # One interpreter for all of them: the entry point's main(), each with --help.
    proc = subprocess.run(
        [sys.executable, "-c", HELP_SCRIPT, json.dumps(COMMANDS)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    helps = json.loads(proc.stdout)
    assert set(helps) == {" ".join(c) for c in COMMANDS}
    for command, (code, text) in helps.items():
        assert code == 0, command
        assert "Example" in text, command
        assert "trustpolicy " in text.split("Example", 1)[1], command


def test_decide_help_documents_the_exit_codes_and_batch_severity() -> None:
    out = run("decide", "--help").stdout
    assert "0 allow, 1 deny, 3 escalate, 2 invalid input or usage, 4 engine unavailable" in out
    assert "4 > 2 > 1 > 3 > 0" in out


# -- provisions and policy tests ----------------------------------------------------------

FIXTURE_TESTS = """package trustpolicy.fixture_test

_stop := {
	"action": "inquire_status",
	"actor": {"agency": "BPD", "role": "police_officer"},
	"subject": {"role": "caller"},
}

_perimeter_rules := {"BTA-RES-01"}

test_status_question_is_denied if {
	ids := {v.rule | some v in data.trustpolicy.decision.violations} with input as _stop
	ids == {"BTA-INQ-01"}
}

test_named_helper_counts if {
	count(_perimeter_rules) == 1
}

test_mentions_nothing if {
	count(_stop) == 3
}
"""


@pytest.fixture(scope="module")
def fixture_policies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real policies without their tests, plus one known test file."""
    out = tmp_path_factory.mktemp("policies") / "policies"
    shutil.copytree(ROOT / "policies", out, ignore=shutil.ignore_patterns("*_test.rego"))
    (out / "trustpolicy" / "fixture_test.rego").write_text(FIXTURE_TESTS)
    return out


def test_provisions_table_reads_metadata_lifts_and_test_counts(fixture_policies) -> None:
    proc = run("provisions", "--policies", fixture_policies, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in json.loads(proc.stdout)}
    expected_ids = {"BTA-INQ-01", "BTA-DET-01", "BTA-ARR-01", "BTA-XFER-01", "BTA-INFO-01",
                    "BTA-INFO-02", "BTA-RES-01", "BTA-ROLE-01", "MA-LUNN-01", "FED-1373-ESC",
                    "BTA-RPT-01", "TP-INPUT-01", "EXC-JUDICIAL-WARRANT", "EXC-JUDICIAL-ORDER",
                    "EXC-VISA-CERT", "EXC-CRIMINAL-ELEMENT", "EXC-HSI-CRIMINAL",
                    "EXC-CRIMINAL-HISTORY", "EXC-PUBLIC-SAFETY", "EXC-TASK-FORCE",
                    "EXC-CONSULAR-NOTICE"}  # fmt: skip
    assert set(rows) == expected_ids
    inq = rows["BTA-INQ-01"]
    assert inq["exceptions"] == ["EXC-CONSULAR-NOTICE", "EXC-CRIMINAL-ELEMENT", "EXC-VISA-CERT"]
    assert inq["confidence"] == "reported"
    assert inq["citation"].startswith("Boston Code § 11-1.9")
    assert rows["EXC-HSI-CRIMINAL"]["lifts"] == ["BTA-INFO-01", "BTA-INFO-02"]
    assert rows["BTA-DET-01"]["exceptions"] == ["EXC-JUDICIAL-WARRANT"]
    assert {k: r["tests"] for k, r in rows.items() if r["tests"]} == {
        "BTA-INQ-01": 1,
        "BTA-RES-01": 1,
    }


def test_provisions_text_table_has_the_documented_columns() -> None:
    proc = run("provisions")
    assert proc.returncode == 0, proc.stderr
    header = proc.stdout.splitlines()[0].split()
    assert header[:2] == ["ID", "Title"]
    assert header[-1] == "Tests"
    assert any(line.startswith("EXC-VISA-CERT") and "lifts BTA-INQ-01" in line
               for line in proc.stdout.splitlines())  # fmt: skip


def test_policy_test_command_fails_below_the_coverage_threshold(fixture_policies) -> None:
    proc = run("test", "--policies", fixture_policies)
    assert proc.returncode == 1
    assert "tests: 3/3 passed" in proc.stdout
    assert "coverage: " in proc.stdout
    assert "not covered:" in proc.stdout
    proc = run("test", "--policies", fixture_policies, "--threshold", "0")
    assert proc.returncode == 0, proc.stdout


def test_failing_policy_test_is_named_and_provisions_still_count(
    tmp_path, fixture_policies
) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(fixture_policies, policies)
    failing = 'package trustpolicy.failing_test\n\ntest_lunn_holds if {\n\t"MA-LUNN-01" == "x"\n}\n'
    (policies / "trustpolicy" / "failing_test.rego").write_text(failing)
    proc = run("test", "--policies", policies)
    assert proc.returncode == 1, proc.stderr
    assert "tests: 3/4 passed" in proc.stdout
    assert "FAIL data.trustpolicy.failing_test.test_lunn_holds" in proc.stdout
    assert "coverage: not measured" in proc.stdout
    proc = run("provisions", "--policies", policies, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert {r["id"]: r["tests"] for r in json.loads(proc.stdout)}["MA-LUNN-01"] == 1


# -- bundles, agent configuration, serving ------------------------------------------------


def test_bundle_build_sign_verify_then_agent_config_drives_a_real_agent(tmp_path) -> None:
    pair = generate_signing_key(tmp_path / "keys", name="city")
    bundle = tmp_path / "trustpolicy.tar.gz"
    proc = run("bundle", "build", "--out", bundle, "--revision", "cli-rev-1")
    assert proc.returncode == 0, proc.stderr
    assert "revision cli-rev-1" in proc.stdout
    proc = run("bundle", "sign", "--key", pair.private, "--key-id", "city", bundle)
    assert proc.returncode == 0, proc.stderr
    proc = run("bundle", "verify", "--key", pair.public, "--key-id", "city", bundle)
    assert proc.returncode == 0, proc.stderr
    assert "revision cli-rev-1" in proc.stdout

    token_file = write(tmp_path / "bundle.token", TOKEN)
    config = tmp_path / "opa-config.yaml"
    with BundleServer({"c11": TOKEN}) as server:
        server.publish(bundle)
        proc = run("agent-config", "--bundle-server", server.url, "--public-key", pair.public,
                   "--key-id", "city", "--token-file", token_file, "--department", "C-11",
                   "--persistence-dir", tmp_path / "persist", "--out", config)  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        with LocalOPA(config=config) as opa:  # waits until the signed bundle is active
            proc = run("decide", "--url", opa.url, write(tmp_path / "r.json", STOP))
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["policy"]["revision"] == "cli-rev-1"
    assert TOKEN not in config.read_text()


def test_agent_config_on_stdout_is_json_opa_accepts(tmp_path, opa_bin) -> None:
    pair = generate_signing_key(tmp_path / "keys", algorithm="ES256", name="c")
    proc = run("agent-config", "--bundle-server", "http://127.0.0.1:9", "--public-key", pair.public,
               "--algorithm", "ES256", "--token-env", "BUNDLE_TOKEN", "--collector",
               "http://127.0.0.1:9", "--collector-token-env", "LOG_TOKEN")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    config = json.loads(proc.stdout)
    assert config["bundles"]["trustpolicy"]["persist"] is True
    assert config["services"]["bundles"]["credentials"]["bearer"]["token"] == "${BUNDLE_TOKEN}"
    path = write(tmp_path / "config.json", proc.stdout)
    port = _free_port()
    env = os.environ | {"BUNDLE_TOKEN": TOKEN, "LOG_TOKEN": TOKEN}
    agent = subprocess.Popen(
        [opa_bin, "run", "--server", f"--addr=127.0.0.1:{port}", "--config-file", path,
         "--skip-version-check"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    try:
        assert _healthy(agent, f"http://127.0.0.1:{port}/health", 15), "opa did not start"
    finally:
        agent.terminate()
        _, err = agent.communicate(timeout=10)
    assert b"error parsing" not in err.lower()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(proc: subprocess.Popen[bytes], url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return False


def test_bundle_verify_rejects_a_wrong_key_exit_1(tmp_path) -> None:
    good = generate_signing_key(tmp_path / "good", algorithm="ES256", name="k")
    bad = generate_signing_key(tmp_path / "bad", algorithm="ES256", name="k")
    bundle = tmp_path / "b.tar.gz"
    assert run("bundle", "build", "--out", bundle).returncode == 0
    assert (
        run("bundle", "sign", "--key", good.private, "--algorithm", "ES256", bundle).returncode == 0
    )
    proc = run("bundle", "verify", "--key", bad.public, "--algorithm", "ES256", bundle)
    assert proc.returncode == 1
    one_error_line(proc, ".signatures.json")
    proc = run("bundle", "verify", "--key", tmp_path / "none.pem", bundle)
    assert proc.returncode == 2
    one_error_line(proc, "none.pem")


# -- report -------------------------------------------------------------------------------


def _event(n: int, data: dict[str, Any], outcome: str, obligations: list[str]) -> dict[str, Any]:
    return {
        "decision_id": f"d-{n}",
        "timestamp": f"2025-03-0{n}T15:00:00Z",
        "path": "trustpolicy/decision",
        "input": data,
        "result": {
            "outcome": outcome,
            "violations": [],
            "exceptions": [],
            "escalations": [],
            "obligations": [{"rule": r} for r in obligations],
        },
    }


def test_report_on_a_small_store(tmp_path) -> None:
    db = tmp_path / "decisions.sqlite"
    with DecisionStore(db) as store:
        store.add("c11", [_event(1, EXAMPLES[11]["input"], "allow", ["BTA-RPT-01"]),
                          _event(2, EXAMPLES[11]["input"], "allow", ["BTA-RPT-01"]),
                          _event(3, STOP, "deny", [])])  # fmt: skip
    out = tmp_path / "report.html"
    proc = run("report", "--year", "2025", "--format", "html", "--db", db, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().lstrip().lower().startswith("<!doctype html")
    proc = run("report", "--year", "2025", "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert "| Mar | 2 | 2 |" in proc.stdout  # two detainers received at C-11 in March
    assert "3 decisions were logged" in proc.stdout
    proc = run("report", "--year", "2025", "--db", tmp_path / "missing.sqlite")
    assert proc.returncode == 2
    one_error_line(proc, "missing.sqlite")


# -- README -------------------------------------------------------------------------------


def test_readme_starts_with_the_two_commands_and_its_quick_start_runs(tmp_path) -> None:
    readme = (ROOT / "README.md").read_text()
    lines = readme.splitlines()
    assert lines[2] == "```"
    assert lines[3].startswith("make demo    # ")
    assert lines[4].startswith("make test    # ")
    assert lines[5] == "```"
    code = readme.split("```python\n", 1)[1].split("```", 1)[0]
    script = write(tmp_path / "quick_start.py", code)
    proc = subprocess.run(
        [sys.executable, script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("deny ['BTA-INFO-01', 'FED-1373-ESC']\nNot allowed.")
    assert "pretext guard" in proc.stdout


# -- long-running servers -------------------------------------------------------------------


def _start(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "trustpolicy", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env,
    )


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    return proc.returncode, out


def test_serve_and_bundle_serve_run_until_ctrl_c(tmp_path) -> None:
    bundle = tmp_path / "b.tar.gz"
    assert run("bundle", "build", "--out", bundle, "--revision", "served-1").returncode == 0
    agent_port, server_port = _free_port(), _free_port()
    agent = _start("serve", "--bundle", bundle, "--port", agent_port)
    env = os.environ | {"TRUSTPOLICY_BUNDLE_TOKENS": f"c11={TOKEN}"}
    server = _start("bundle", "serve", "--port", server_port, bundle, env=env)
    try:
        url = f"http://127.0.0.1:{server_port}/bundles/trustpolicy.tar.gz"
        assert _healthy(server, f"http://127.0.0.1:{server_port}/health", 15)
        assert requests.get(url, timeout=5).status_code == 401
        got = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
        assert got.content == bundle.read_bytes()
        assert _healthy(agent, f"http://127.0.0.1:{agent_port}/health?bundles", 15)
        proc = run(
            "decide", "--url", f"http://127.0.0.1:{agent_port}", write(tmp_path / "r.json", STOP)
        )
        assert proc.returncode == 1
        assert json.loads(proc.stdout)["policy"]["revision"] == "served-1"
    finally:
        agent_code, agent_out = _stop(agent)
        server_code, server_out = _stop(server)
    assert (agent_code, server_code) == (0, 0), agent_out + server_out
    assert "stopped" in agent_out
    assert TOKEN not in server_out
