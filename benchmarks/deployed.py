"""Run a module as it would run where the bot is deployed: ``python -m benchmarks.deployed
bot`` (the echo bots too, so that both sides are measured alike).

The image installs the runtime dependencies only. This checkout's ``.venv`` also has the
dev extra, and import-linter brings click and rich with it; with those two present
``import httpx`` imports httpx's command-line tool as well (click, rich, pygments: ~30 ms
and a few MiB in every process, bot and echo alike, which flattered every ratio). Here that
import fails as it does without them, and httpx carries on as it does in the image.
"""

from __future__ import annotations

import runpy
import sys

sys.modules["httpx._main"] = None  # type: ignore[assignment]  # None: "do not import"

if __name__ == "__main__":
    module = sys.argv.pop(1)
    runpy.run_module(module, run_name="__main__", alter_sys=True)
