"""``trustpolicy bundle serve`` keeps serving the last good bundle when the file is
overwritten with something that is not one (issue 15, finding 11): the real command, a
bad write, then a good one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import requests

from conftest import ROOT
from trustpolicy.bundles._bundle import write_archive

if TYPE_CHECKING:
    from pathlib import Path

TOKEN = "serve-last-good-token-0123456789"


def _etag(url: str) -> str | None:
    answer = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert answer.status_code == 200
    return answer.headers.get("ETag")


def test_a_bad_write_is_refused_and_the_last_good_bundle_stays(tmp_path: Path) -> None:
    bundle = write_archive({".manifest": b'{"revision": "good-1"}'}, tmp_path / "b.tar.gz")
    env = dict(os.environ, TRUSTPOLICY_BUNDLE_TOKENS=f"agent={TOKEN}", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "trustpolicy", "bundle", "serve", "--port", "0", str(bundle)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"serving (http://\S+)", first)
        assert found, first
        url = found[1]
        good = _etag(url)
        time.sleep(0.05)
        bundle.write_bytes(b"\x1f\x8b half a bundle")  # a writer caught halfway
        line = proc.stdout.readline()
        assert line.startswith("refused"), line
        assert "still serving revision good-1" in line
        assert proc.poll() is None
        assert _etag(url) == good
        time.sleep(0.05)
        write_archive({".manifest": b'{"revision": "good-2"}'}, bundle)
        assert proc.stdout.readline().strip() == "published revision good-2"
        assert _etag(url) != good
    finally:
        proc.terminate()
        proc.wait(10)
