"""The stack has one direction, and each kind of import stays in its layer (STYLE.md).

agentgraph/ (wiring) → gql/ (surface) → usecases/ → store/ → domain/ (pure). Every module of
every package is read — TYPE_CHECKING blocks and imports inside functions included — so a new
file is checked the day it is added; there is no list to keep.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Highest first: a package may import the packages after it, never one before it.
STACK = ("agentgraph", "gql", "usecases", "store", "domain")
# Libraries that belong to one layer (and to the wiring, which assembles the layers).
DATABASE_LIBRARIES = frozenset({"sqlalchemy", "asyncpg", "alembic"})
GRAPHQL_LIBRARIES = frozenset({"strawberry", "graphql"})
MAY_USE = {
    "agentgraph": DATABASE_LIBRARIES | GRAPHQL_LIBRARIES,
    "migrations": DATABASE_LIBRARIES,
    "store": DATABASE_LIBRARIES,
    "gql": GRAPHQL_LIBRARIES,
}


def imported_modules(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """Every module ``source`` imports, anywhere in it, as absolute dotted names."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            if node.module is None:  # "from . import errors" imports package.errors
                found.extend(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
            else:
                found.append(base)
    return found


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if node.level == 0:
        return node.module or ""
    parts = package.split(".") if package else []
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _modules() -> Iterator[tuple[str, str, Path]]:
    """(top-level package, dotted module name, path) of every module we ship."""
    for top in (*STACK, "migrations"):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            is_init = parts[-1] == "__init__"
            yield top, ".".join(parts[:-1] if is_init else parts), path


def _imports_of(path: Path, module: str) -> list[str]:
    return imported_modules(
        path.read_text(encoding="utf-8"), module, is_package=path.name == "__init__.py"
    )


MODULES = list(_modules())


def violations(top: str, imports: list[str]) -> list[str]:
    """What ``top``'s module may not import among ``imports``."""
    wrong: list[str] = []
    for name in imports:
        root = name.split(".")[0]
        if root == top or root == "__future__":
            continue
        if top == "domain":
            if root not in sys.stdlib_module_names:
                wrong.append(name)  # the pure domain: the standard library only
        elif root in STACK:
            if top == "migrations":
                if root not in ("store", "domain", "agentgraph"):  # alembic run by hand
                    wrong.append(name)
            elif STACK.index(root) < STACK.index(top):
                wrong.append(name)  # points up the stack
        elif (
            root in DATABASE_LIBRARIES | GRAPHQL_LIBRARIES and root not in MAY_USE.get(top, ())
        ) or root in ("tests", "bench"):
            wrong.append(name)
    return wrong


def test_every_module_imports_within_its_layer() -> None:
    found = {module: violations(top, _imports_of(path, module)) for top, module, path in MODULES}
    assert {module: wrong for module, wrong in found.items() if wrong} == {}


def _imports_inside_functions(source: str) -> list[str]:
    return [
        ast.unparse(node)
        for function in ast.walk(ast.parse(source))
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]


def test_no_import_inside_a_function_below_the_wiring() -> None:
    # The layers import at the top; only the wiring defers imports (the CLI answers --help
    # without loading the server).
    found = {
        module: inside
        for top, module, path in MODULES
        if top in STACK[1:]
        and (inside := _imports_inside_functions(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_no_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = {top: set() for top in STACK}
    for top, module, path in MODULES:
        if top in edges:
            edges[top] |= {name.split(".")[0] for name in _imports_of(path, module)} & set(
                STACK
            ) - {top}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt}))
            for nxt in edges[start]
        )

    assert [top for top in STACK if reaches(top, top, {top})] == []


def test_every_layer_is_read() -> None:
    tops = {top for top, _, _ in MODULES}
    assert tops == {*STACK, "migrations"}
    assert sum(1 for top, _, _ in MODULES if top == "domain") >= 10


@pytest.mark.parametrize(
    ("top", "snippet", "flagged"),
    [
        ("domain", "import sqlalchemy", ["sqlalchemy"]),
        ("domain", "import sqlalchemy.orm as orm", ["sqlalchemy.orm"]),
        ("domain", "from strawberry import type", ["strawberry"]),
        ("domain", "import jwt", ["jwt"]),
        ("domain", "from store import models", ["store"]),
        ("domain", "def f():\n    import sqlalchemy\n", ["sqlalchemy"]),
        ("domain", "if TYPE_CHECKING:\n    from gql import app\n", ["gql"]),
        ("domain", "import json, re\nfrom collections.abc import Mapping", []),
        ("domain", "from __future__ import annotations", []),
        ("domain", "from domain.errors import ValidationFailed", []),
        ("domain", "from .errors import ValidationFailed", []),
        ("usecases", "from sqlalchemy import func", ["sqlalchemy"]),
        ("usecases", "from store import agents", []),
        ("usecases", "from gql.ids import to_global_id", ["gql.ids"]),
        ("store", "from usecases import agents", ["usecases"]),
        ("store", "import asyncpg", []),
        ("store", "from graphql import parse", ["graphql"]),
        ("gql", "from agentgraph.settings import Settings", ["agentgraph.settings"]),
        ("gql", "def f():\n    from agentgraph import bootstrap\n", ["agentgraph"]),
        ("gql", "from sqlalchemy.ext.asyncio import AsyncConnection", ["sqlalchemy.ext.asyncio"]),
        ("gql", "from store.keyset import Page", []),
        ("agentgraph", "import sqlalchemy\nimport strawberry\nfrom gql import app", []),
        ("migrations", "from store.models import Base", []),
        ("migrations", "from gql import schema", ["gql"]),
        ("migrations", "from agentgraph.settings import Settings", []),
        ("store", "from tests.support import api", ["tests.support"]),
    ],
)
def test_the_rules_catch_what_they_should(top: str, snippet: str, flagged: list[str]) -> None:
    assert violations(top, imported_modules(snippet, f"{top}.example")) == flagged


@pytest.mark.parametrize(
    ("snippet", "module", "is_package", "expected"),
    [
        ("from .store import models", "domain.example", False, ["domain.store"]),
        ("from . import errors", "domain.example", False, ["domain.errors"]),
        ("from .. import gql", "domain.sub.example", False, ["domain.gql"]),
        ("from . import models", "store", True, ["store.models"]),
    ],
)
def test_relative_imports_are_resolved(
    snippet: str, module: str, is_package: bool, expected: list[str]
) -> None:
    assert imported_modules(snippet, module, is_package=is_package) == expected
