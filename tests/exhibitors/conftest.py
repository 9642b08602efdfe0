"""Exhibitor tests: uploaded logos are files, so empty var/uploads after each test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def clean_uploads(var_dir: Path) -> Iterator[None]:
    yield
    shutil.rmtree(var_dir / "uploads", ignore_errors=True)
