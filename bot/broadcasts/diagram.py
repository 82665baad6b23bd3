"""Draw the lifecycle table as Mermaid state diagrams into docs/lifecycle.md:

    python -m bot.broadcasts.diagram [path]

A test fails when the committed file differs from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.broadcasts.lifecycle import mermaid


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else Path("docs/lifecycle.md")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(mermaid(), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
