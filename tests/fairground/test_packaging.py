"""`make run` installs the project (`pip install -e .`): the build backend must not warn."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT_FILES = ["pyproject.toml", "README.md", "app.py", "piccolo_conf.py"]
PACKAGES = ["fairground", "events", "registrations", "exhibitors"]
BUILD = (
    "import sys, setuptools.build_meta as backend; "
    "print(backend.prepare_metadata_for_build_wheel(sys.argv[1]))"
)


def test_the_licence_is_an_spdx_expression() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "AGPL-3.0-or-later"


def test_the_build_backend_gives_no_warning(tmp_path: Path) -> None:
    """What pip's BuildBackendWarning reports: any warning from setuptools is an error here."""
    source = tmp_path / "source"
    source.mkdir()
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, source / name)
    for name in PACKAGES:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "meta").mkdir()
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", BUILD, str(tmp_path / "meta")],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr, result.stderr[-3000:]
    assert "fairground-0.1.0.dist-info" in result.stdout
