"""``python -m benchmarks``: run every benchmark and print the table (exit 1 on a MISS)."""

from __future__ import annotations

import asyncio
import sys

from benchmarks.run import main

if __name__ == "__main__":
    _, text, ok = asyncio.run(main())
    print(text)
    sys.exit(0 if ok else 1)
