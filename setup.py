"""Ship the policies and the worked examples inside the wheel (``trustpolicy/_data``).

They live at the top of the checkout (``policies/``, ``tests/data/``) where their authors
and tools expect them; ``build_py`` copies them into the built package, so an installed
trustpolicy serves, builds, tests and demonstrates the same policies without a checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = {
    "policies": ROOT / "policies",
    "worked-examples.json": ROOT / "tests" / "data" / "worked-examples.json",
}


class BuildWithData(build_py):
    """``build_py`` plus the package data that lives outside ``src/``."""

    def run(self) -> None:
        super().run()
        data = Path(self.build_lib) / "trustpolicy" / "_data"
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        for name, source in SHIPPED.items():
            if source.is_dir():
                shutil.copytree(source, data / name, ignore=shutil.ignore_patterns(".*"))
            else:
                shutil.copy2(source, data / name)


setup(cmdclass={"build_py": BuildWithData})
