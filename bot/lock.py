"""One bot process per DATA_DIR.

A second process on the same directory would mark the first one's in-flight send as
``unknown`` at start-up and lose its outbox ids, so the bot holds an exclusive
``flock`` on ``DATA_DIR/bot.lock`` for its whole life. The kernel releases the lock
when the process ends in any way (SIGKILL and OOM included), so a stale lock file
never blocks a restart.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from bot.config import ConfigError

LOCK_NAME = "bot.lock"


class DataDirBusy(Exception):
    """Another live process holds the lock; the message is one line for people."""


def lock_data_dir(data_dir: Path) -> int:
    """Take the lock or raise DataDirBusy. Returns the file descriptor: keep it open."""
    path = data_dir / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise ConfigError(f"DATA_DIR is invalid: cannot open {path} ({exc.strerror})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _read_pid(fd)
        os.close(fd)
        who = f" (pid {holder})" if holder else ""
        raise DataDirBusy(
            f"DATA_DIR {data_dir} is in use by another bot process{who}; "
            "stop it first, or give this one its own DATA_DIR"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    # The pid is only for the message above; the lock itself is what counts.
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
