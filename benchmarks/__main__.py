"""``python -m benchmarks``: run every benchmark and print the table (exit 1 on a MISS).
``python -m benchmarks flood``: only the stranger-flood line; ``taps``: only the tap count;
``hang``: only another admin's latency while one admin's provider call hangs."""

from __future__ import annotations

import asyncio
import sys

from benchmarks.flood import main_flood
from benchmarks.hang import main_hang
from benchmarks.run import main, main_taps

if __name__ == "__main__":
    mode = sys.argv[1:]
    modes = {"flood": main_flood, "taps": main_taps, "hang": main_hang}
    run = modes[mode[0]]() if mode else main()
    _, text, ok = asyncio.run(run)
    print(text)
    sys.exit(0 if ok else 1)
