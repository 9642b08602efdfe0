"""Start-up check that the directories we write to really take writes.

A read-only mount or a full disk otherwise shows up much later, as a traceback
from SQLite, the ticket keys or the mail files. Creating a directory is not
proof (a full tmpfs still makes directories, and some file systems report a
full disk only when data reaches it), so the probe writes a small file and
fsyncs it.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

PROBE_BYTES = b"fairground write probe\n"

_PLAIN = {
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "permission is denied",
    errno.EPERM: "permission is denied",
    errno.ENOTDIR: "a file is in the way where the directory should be",
    errno.EEXIST: "a file is in the way where the directory should be",
    errno.ENOENT: "the directory does not exist",
    errno.EIO: "the disk reports an input/output error",
}


def plain_reason(exc: OSError) -> str:
    """What went wrong, in words for whoever reads the start-up log."""
    return _PLAIN.get(exc.errno or 0, exc.strerror or str(exc))


def probe_directory(directory: Path) -> None:
    """Make `directory` if needed, then write, fsync and remove a small file in it.

    Raises OSError when any step fails. The probe's name carries the process id,
    so a web process and a worker starting together never remove each other's.
    """
    directory.mkdir(parents=True, exist_ok=True)
    probe = directory / f".write-probe-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            written = os.write(fd, PROBE_BYTES)
            if written != len(PROBE_BYTES):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        with contextlib.suppress(OSError):  # never hide the error that matters
            probe.unlink()
