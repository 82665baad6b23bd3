"""Container health check: ``python -m bot.health`` exits 0 while the bot's
heartbeat file in DATA_DIR is fresh (the JobQueue touches it every 30 s)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

HEARTBEAT_NAME = "heartbeat"
MAX_AGE_SECONDS = 120


def touch(data_dir: Path) -> None:
    (data_dir / HEARTBEAT_NAME).write_text(str(int(time.time())))


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
