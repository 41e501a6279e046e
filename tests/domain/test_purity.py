"""Pure domain modules import nothing but the standard library (and each other)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_MODULES = frozenset(
    {
        "domain.access",
        "domain.errors",
        "domain.events",
        "domain.executions",
        "domain.lifecycle",
        "domain.metrics",
        "domain.plans",
        "domain.recovery",
        "domain.safety",
        "domain.throttle",
        "domain.values",
    }
)


def foreign_imports(source: str, package: str = "domain") -> list[str]:
    """Modules imported by ``source`` that are neither standard library nor pure modules."""
    foreign: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is None:
            # "from . import errors" imports the module domain.errors.
            base = _absolute(node, package)
            names = [".".join(filter(None, (base, alias.name))) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [_absolute(node, package)]
        else:
            continue
        foreign.extend(name for name in names if not _allowed(name))
    return foreign


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if node.level == 0:
        return node.module or ""
    # A relative import: resolve it against the package the module lives in.
    parts = package.split(".")
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _allowed(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or module in PURE_MODULES


@pytest.mark.parametrize("module", sorted(PURE_MODULES))
def test_pure_module_imports_only_the_standard_library(module: str) -> None:
    path = ROOT.joinpath(*module.split(".")).with_suffix(".py")
    assert foreign_imports(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("snippet", "flagged"),
    [
        ("import sqlalchemy", ["sqlalchemy"]),
        ("import sqlalchemy.orm as orm", ["sqlalchemy.orm"]),
        ("from strawberry import type", ["strawberry"]),
        ("from gql.types import agent", ["gql.types"]),
        ("from domain.store import models", ["domain.store"]),
        ("from .store import models", ["domain.store"]),
        ("import domain", ["domain"]),
        ("def f():\n    import sqlalchemy\n", ["sqlalchemy"]),
        ("import json, re\nfrom collections.abc import Mapping", []),
        ("from __future__ import annotations", []),
        ("from domain.errors import ValidationFailed", []),
        ("from .errors import ValidationFailed", []),
        ("from . import errors", []),
        ("from . import store", ["domain.store"]),
        ("from .. import gql", ["gql"]),
    ],
)
def test_detector(snippet: str, flagged: list[str]) -> None:
    assert foreign_imports(snippet) == flagged
