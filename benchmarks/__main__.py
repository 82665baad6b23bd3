"""``python -m benchmarks``: run every benchmark and print the table (exit 1 on a MISS).
``python -m benchmarks flood``: only the stranger-flood line."""

from __future__ import annotations

import asyncio
import sys

from benchmarks.run import main, main_flood

if __name__ == "__main__":
    _, text, ok = asyncio.run(main_flood() if sys.argv[1:] == ["flood"] else main())
    print(text)
    sys.exit(0 if ok else 1)
