"""The catalogues: every language of fairground.i18n has one, up to date with the
code and templates, every message translated, none fuzzy, no placeholder lost."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from fairground import i18n
from fairground.seed import JOB_FAMILY_NAMES, _rows

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%")
TAG = re.compile(r"</?[a-z]+[^>]*>")


def _catalogue(code: str) -> Catalog:
    with open(i18n.TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=i18n.LANGUAGES[code].locale)


def _strings(message: object) -> list[str]:
    value = message if isinstance(message, tuple | list) else (message,)
    return [str(v) for v in value]


def _pot() -> Catalog:
    with open(i18n.TRANSLATIONS / "messages.pot", "rb") as f:
        return read_po(f)


def test_every_language_has_a_catalogue() -> None:
    folders = {p.name for p in i18n.TRANSLATIONS.iterdir() if p.is_dir()}
    assert folders == set(TRANSLATED)


def test_the_template_holds_every_message_of_the_code(tmp_path: Path) -> None:
    """`make translations-extract` was run after the last change of words."""
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "Msg",
            "--ignore-dirs=.* __pycache__ node_modules static tests bench docs",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(fresh, "rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    have = {m.id for m in _pot() if m.id}
    missing = sorted(str(m) for m in wanted - have)
    assert not missing, f"run `make translations-extract`: {missing[:5]}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(code: str) -> None:
    catalogue = _catalogue(code)
    template = {m.id for m in _pot() if m.id}
    ids = {m.id for m in catalogue if m.id}
    assert template <= ids, f"{code}: not updated, run `make translations-extract`"
    empty = [m.id for m in catalogue if m.id and not all(s.strip() for s in _strings(m.string))]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not empty, f"{code}: {len(empty)} untranslated, first {empty[:3]}"
    assert not fuzzy, f"{code}: {len(fuzzy)} fuzzy, first {fuzzy[:3]}"
    assert not catalogue.fuzzy, f"{code}: the header is marked fuzzy"


@pytest.mark.parametrize("code", TRANSLATED)
def test_no_placeholder_or_tag_is_dropped_or_changed(code: str) -> None:
    problems = []
    for message in _catalogue(code):
        if not message.id:
            continue
        ids = _strings(message.id)
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))
        tags = sorted(TAG.findall(ids[-1]))
        for text in _strings(message.string):
            # A plural form may leave the number out ("one place"), never add or rename.
            found = sorted(PLACEHOLDER.findall(text))
            if message.pluralizable:
                ok = set(found) <= set(PLACEHOLDER.findall(" ".join(ids))) and (
                    found == wanted or set(found) == set(wanted) - {"%(num)d"}
                )
            else:
                ok = found == wanted
            if not ok or sorted(TAG.findall(text)) != tags:
                problems.append((ids[0], text))
    assert not problems, f"{code}: {problems[:3]}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_translation_formats(code: str) -> None:
    """Each translation takes its message's values (as gettext's users pass them)."""
    for message in _catalogue(code):
        if not message.id:
            continue
        values = {name: 1 for name in re.findall(r"%\(([a-z_]+)\)", " ".join(_strings(message.id)))}
        for text in _strings(message.string):
            if values or "%%" in text:
                text % values  # raises on a broken placeholder


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_catalogue_compiles_and_is_used(code: str) -> None:
    translations = i18n.translations(code)
    catalogue = _catalogue(code)
    sample = next(m for m in catalogue if m.id == "Skip to main content")
    assert translations.gettext("Skip to main content") == sample.string
    assert sample.string != "Skip to main content"


def test_every_job_family_of_the_seed_data_is_in_the_catalogue() -> None:
    names = {row["name"] for row in _rows("job-families.csv")}
    assert names and names <= set(JOB_FAMILY_NAMES)
