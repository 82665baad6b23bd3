"""The plain baseline: the echo bot as python-telegram-bot runs with only its rate-limiter
extra installed (no webhook server, no job queue). Emulated in this environment by making
those two imports fail, which is how python-telegram-bot itself detects the extras.

    python -m benchmarks.plain_echo
"""

from __future__ import annotations

import sys

sys.modules["tornado"] = None  # type: ignore[assignment]  # the [webhooks] extra
sys.modules["apscheduler"] = None  # type: ignore[assignment]  # the [job-queue] extra

from benchmarks.echo_bot import main  # noqa: E402  (after the two marks above)

if __name__ == "__main__":
    main()
