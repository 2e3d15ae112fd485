"""The domain is the part a lawyer reads next to the policy file: stdlib only, no I/O, no wall clock."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "custody_ledger" / "domain"
ALLOWED = {"__future__", "collections", "dataclasses", "datetime", "enum", "functools", "re", "types", "typing",
           "zoneinfo", "calendar", "itertools", "bisect", "math", "decimal"}  # decimal: exact hours (issue 15)
SOURCES = sorted(DOMAIN.glob("*.py"))


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_domain_imports_only_the_standard_library(source: Path) -> None:
    foreign = {n for n in _imports(ast.parse(source.read_text())) if n not in ALLOWED}
    assert foreign == set() and all(n in sys.stdlib_module_names for n in ALLOWED)


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_domain_never_reads_the_wall_clock(source: Path) -> None:
    calls = {
        node.func.attr
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert calls.isdisjoint({"now", "utcnow", "today", "time", "monotonic"})


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_domain_does_no_io(source: Path) -> None:
    names = {n.id for n in ast.walk(ast.parse(source.read_text())) if isinstance(n, ast.Name)}
    assert names.isdisjoint({"open", "print", "input"})
