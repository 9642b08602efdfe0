"""A read-only or full disk under var/ stops start-up with one clear line, exit status 2.

We run as root, so file modes deny nothing: the faults are real file systems, a
read-only tmpfs and a tmpfs filled to the brim, mounted in a private mount
namespace (`unshare -m`) that only the command under test sees. The commands are
the real ones: uvicorn serving app:app, `fair migrate`, `fair worker`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port as _free_port

ROOT = Path(__file__).resolve().parents[2]
TMPFS = "mount -t tmpfs -o {options},size=64k fairground-test {mnt}"
READ_ONLY = TMPFS.replace("{options}", "ro")
# The directory exists, then the disk fills up: making directories still works on a
# full tmpfs, writing a byte does not.
FULL = TMPFS.replace("{options}", "rw") + (
    " && mkdir {mnt}/var && (dd if=/dev/zero of={mnt}/fill bs=4k 2>/dev/null; true)"
)
WRITABLE = TMPFS.replace("{options}", "rw")


def _command(name: str) -> list[str]:
    if name == "web":
        port = str(_free_port())
        return [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", port]
    return [sys.executable, "-m", "fairground.cli", name]  # `fair migrate`, `fair worker`


@pytest.fixture(scope="module")
def private_mounts(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Mount namespaces are needed; a laptop without them skips, CI must have them."""
    mnt = tmp_path_factory.mktemp("probe")
    try:
        result = subprocess.run(
            ["unshare", "-m", "sh", "-c", WRITABLE.format(mnt=mnt)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        problem = result.stderr.strip() if result.returncode else ""
    except FileNotFoundError:
        problem = "no unshare command (util-linux)"
    if not problem:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI needs private mount namespaces (unshare -m, mount): {problem}")
    pytest.skip(f"cannot mount in a private namespace here ({problem})")


def run_on(
    mount: str, mnt: Path, command: list[str], **env: str
) -> subprocess.CompletedProcess[str]:
    """`command` with `mnt` mounted as `mount` says, seen by it alone."""
    mnt.mkdir(exist_ok=True)
    script = mount.format(mnt=shlex.quote(str(mnt))) + ' && exec "$@"'
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", *command],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def cannot_start(variable: str, directory: Path, reason: str, target: str = "a directory") -> str:
    return (
        f"Fairground cannot start: {variable}: cannot write to {directory} ({reason}); "
        f"set {variable} to {target} that can be written to"
    )


@pytest.mark.usefixtures("private_mounts")
@pytest.mark.parametrize("command", ["web", "migrate", "worker"])
@pytest.mark.parametrize(
    ("mount", "reason"),
    [(READ_ONLY, "the file system is read-only"), (FULL, "the disk is full")],
    ids=["read-only", "full"],
)
def test_var_on_a_bad_disk_stops_start_up(
    tmp_path: Path, command: str, mount: str, reason: str
) -> None:
    mnt = tmp_path / "mnt"
    result = run_on(mount, mnt, _command(command), VAR_DIR=str(mnt / "var"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == cannot_start("VAR_DIR", mnt / "var", reason)
    assert not (mnt / "var").exists()  # the mount was private: nothing leaked out here


@pytest.mark.usefixtures("private_mounts")
def test_the_sqlite_directory_and_the_key_directory_are_checked_too(tmp_path: Path) -> None:
    mnt, var = tmp_path / "mnt", tmp_path / "var"
    database = f"sqlite:///{mnt / 'db' / 'fair.sqlite3'}"
    result = run_on(READ_ONLY, mnt, _command("migrate"), VAR_DIR=str(var), DATABASE_URL=database)
    assert result.returncode == 2, result.stderr
    expected = cannot_start(
        "DATABASE_URL", mnt / "db", "the file system is read-only", "a file in a directory"
    )
    assert result.stderr.strip() == expected
    keys = mnt / "keys"
    result = run_on(
        FULL, mnt, _command("worker"), VAR_DIR=str(var), TICKET_SIGNING_KEY_DIR=str(keys)
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == cannot_start("TICKET_SIGNING_KEY_DIR", keys, "the disk is full")


@pytest.mark.usefixtures("private_mounts")
def test_a_writable_tmpfs_passes_the_check(tmp_path: Path) -> None:
    """The control: the same mount, writable, and the worker runs its pass."""
    mnt = tmp_path / "mnt"
    command = [*_command("worker"), "--once"]
    result = run_on(WRITABLE, mnt, command, VAR_DIR=str(mnt / "var"))
    assert result.returncode == 0, result.stderr
    assert "Did 0 things" in result.stdout
    assert "Traceback" not in result.stderr
    shutil.rmtree(mnt, ignore_errors=True)
