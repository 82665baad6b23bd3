"""Every ``type: ignore`` in the product names its error code and says why (issue #20):
mypy (make test) reports the ones that silence nothing; this says why the others stay."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<code>\[[a-z, -]+\])?(?P<rest>.*)$")


def bare_ignores(text: str) -> list[int]:
    """Line numbers of ``type: ignore`` markers without an error code or a reason."""
    bare = []
    for no, line in enumerate(text.splitlines(), 1):
        found = IGNORE.search(line)
        if found is None:
            continue
        reason = found["rest"].strip().removeprefix("#").strip()
        if not found["code"] or not found["rest"].strip().startswith("#") or len(reason) < 8:
            bare.append(no)
    return bare


def test_the_check_tells_a_reason_from_none() -> None:
    assert bare_ignores("x = f()  # type: ignore[arg-type]  # the store keeps a kind here") == []
    assert bare_ignores("x = f()  # type: ignore[arg-type]") == [1]
    assert bare_ignores("x = f()  # type: ignore  # no code given here, so refused") == [1]


def test_every_type_ignore_names_its_code_and_says_why() -> None:
    bare = [
        f"{path.relative_to(ROOT)}:{no}"
        for package in ("bot", "handlers", "storage")
        for path in sorted((ROOT / package).rglob("*.py"))
        for no in bare_ignores(path.read_text(encoding="utf-8"))
    ]
    assert bare == []
