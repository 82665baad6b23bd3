"""Imports run one way (issue #20): the product imports at module level, so import-linter
sees every edge and no circle hides behind an import inside a function. The one kind that
stays is a deliberate late import (start-up cost), and a comment at it must say why."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def function_imports(source: str) -> list[int]:
    """Line numbers of the import statements inside a function body (nested ones once)."""
    lines = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    lines.add(inner.lineno)
    return sorted(lines)


def unexplained(source: str) -> list[int]:
    """Function-level imports with no comment on their line, nor right above the run of
    imports they belong to."""
    text = source.splitlines()
    bare = []
    for no in function_imports(source):
        if "#" in text[no - 1]:
            continue
        above = no - 2
        while above >= 0 and text[above].strip().startswith(("from ", "import ")):
            above -= 1
        if above < 0 or not text[above].strip().startswith("#"):
            bare.append(no)
    return bare


def test_the_check_finds_an_import_inside_a_function_and_its_comment() -> None:
    source = (
        "import os\n"
        "def f():\n"
        "    from a import b\n"
        "    # late: a configuration error costs no heavy imports\n"
        "    from c import d\n"
        "    from e import f\n"
        "    import g  # late: only the rare path needs it\n"
        "    async def inner():\n"
        "        import h\n"
    )
    assert function_imports(source) == [3, 5, 6, 7, 9]
    assert unexplained(source) == [3, 9]


def test_every_function_level_import_in_the_product_says_why() -> None:
    bare = [
        f"{path.relative_to(ROOT)}:{no}"
        for package in ("bot", "handlers", "storage")
        for path in sorted((ROOT / package).rglob("*.py"))
        for no in unexplained(path.read_text(encoding="utf-8"))
    ]
    assert bare == []
