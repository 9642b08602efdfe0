from __future__ import annotations

from pathlib import Path

import pytest

from fairground.settings import SettingsError, load_settings


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"VAR_DIR": str(tmp_path / "var"), **values}


def test_defaults_make_the_demo_run(tmp_path: Path) -> None:
    settings = load_settings(env(tmp_path))
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'fairground.sqlite3'}"
    assert settings.port == 8000
    assert settings.base_url == "http://localhost:8000"
    assert settings.timezone == "Europe/London"
    assert settings.smtp_url is None
    assert settings.rate_limit_per_minute == 60
    assert settings.outbox_lease_seconds == 120
    assert not settings.secure_cookies


def test_secret_key_is_generated_once_into_var(tmp_path: Path) -> None:
    first = load_settings(env(tmp_path)).secret_key
    second = load_settings(env(tmp_path)).secret_key
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "var" / "secret_key").read_text().strip() == first


def test_values_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        env(
            tmp_path,
            DATABASE_URL="postgres://u:p@db.example:5432/fair",
            PORT="9000",
            BASE_URL="https://fairs.example.org/",
            SMTP_URL="smtp://mail.example.org:2525",
            MAIL_FROM="Fairs <fairs@example.org>",
            TIMEZONE="Europe/Dublin",
            SECRET_KEY="x" * 40,
            RATE_LIMIT_PER_MINUTE="0",
        )
    )
    assert settings.database_url.startswith("postgres://")
    assert settings.port == 9000
    assert settings.base_url == "https://fairs.example.org"
    assert settings.secure_cookies
    assert settings.smtp_url == "smtp://mail.example.org:2525"
    assert settings.timezone == "Europe/Dublin"
    assert settings.secret_key == "x" * 40
    assert settings.rate_limit_per_minute == 0


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://localhost/db"),
        ("DATABASE_URL", "sqlite://"),
        ("DATABASE_URL", "postgres:///nohost"),
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("PORT", "0"),
        ("BASE_URL", "localhost:8000"),
        ("BASE_URL", "ftp://example.org"),
        ("SMTP_URL", "http://mail.example.org"),
        ("SMTP_URL", "smtp://mail.example.org:notaport"),
        ("MAIL_FROM", "not an address"),
        ("TIMEZONE", "Mars/Olympus_Mons"),
        ("SECRET_KEY", "short"),
        ("RATE_LIMIT_PER_MINUTE", "-1"),
        ("RATE_LIMIT_PER_MINUTE", "lots"),
        ("OUTBOX_LEASE_SECONDS", "3"),
        ("OUTBOX_LEASE_SECONDS", "soon"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env(tmp_path, **{variable: value}))
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}:")


def test_unwritable_var_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(SettingsError) as caught:
        load_settings({"VAR_DIR": str(blocker / "var")})
    assert caught.value.variable == "VAR_DIR"


def test_bad_setting_stops_start_up_with_the_name(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import app"],
        env={"PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path / "var"), "PORT": "eighty"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 2
    assert "PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_worker_never_takes_the_public_address_from_its_own_port(tmp_path: Path) -> None:
    """Honcho gives the worker PORT+100; links built from it would point at nothing."""
    from fairground.settings import check_worker_environment

    with pytest.raises(SettingsError) as caught:
        check_worker_environment(env(tmp_path, PORT="8100"))
    assert caught.value.variable == "BASE_URL"
    check_worker_environment(env(tmp_path, PORT="8100", BASE_URL="http://localhost:8000"))
    check_worker_environment(env(tmp_path))  # no PORT: the web's default address


def test_fair_worker_without_base_url_under_honcho_stops_naming_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "fairground.cli", "worker", "--once"],
        env={
            "PATH": "/usr/bin:/bin",
            "VAR_DIR": str(tmp_path / "var"),
            "PORT": "8100",
            "PYTHONPATH": str(root),
        },
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
    )
    assert result.returncode == 2
    assert "BASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
