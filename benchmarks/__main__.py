"""``python -m benchmarks``: run every benchmark and print the table (exit 1 on a MISS).
``python -m benchmarks flood``: only the stranger-flood line; ``taps``: only the tap count."""

from __future__ import annotations

import asyncio
import sys

from benchmarks.flood import main_flood
from benchmarks.run import main, main_taps

if __name__ == "__main__":
    mode = sys.argv[1:]
    run = main_flood() if mode == ["flood"] else main_taps() if mode == ["taps"] else main()
    _, text, ok = asyncio.run(run)
    print(text)
    sys.exit(0 if ok else 1)
