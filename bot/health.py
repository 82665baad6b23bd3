"""Container health check: ``python -m bot.health`` exits 0 while the bot's
heartbeat file in DATA_DIR is fresh.

The bot removes a heartbeat left by an earlier process as soon as it holds the DATA_DIR
lock (a restarted container must not look healthy before it reaches Telegram), touches it
once when it has started, and then every 30 s from the JobQueue.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

HEARTBEAT_NAME = "heartbeat"
MAX_AGE_SECONDS = 120


def touch(data_dir: Path) -> None:
    (data_dir / HEARTBEAT_NAME).write_text(str(int(time.time())))


def forget(data_dir: Path) -> None:
    """Remove an earlier process's heartbeat: until this one has started, it is not healthy."""
    (data_dir / HEARTBEAT_NAME).unlink(missing_ok=True)


def main() -> None:
    path = Path(os.environ.get("DATA_DIR", "./data")) / HEARTBEAT_NAME
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        print("unhealthy: no heartbeat yet", file=sys.stderr)
        raise SystemExit(1) from None
    if age > MAX_AGE_SECONDS:
        print(f"unhealthy: last heartbeat {int(age)} s ago", file=sys.stderr)
        raise SystemExit(1)
    print("healthy")


if __name__ == "__main__":
    main()
