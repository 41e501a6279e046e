"""The runtime SDK is a client with a small footprint: it imports the standard library, httpx
and websockets, and nothing of the server (gql/, domain/, usecases/, store/), so an agent
process installs and loads only what it needs."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ALLOWED = {"httpx", "websockets"}
SERVER = (
    "gql",
    "domain",
    "usecases",
    "store",
    "migrations",
    "strawberry",
    "sqlalchemy",
    "asyncpg",
    "starlette",
    "uvicorn",
    "broadcaster",
)


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            names.append(node.module or "")
    return names


def _foreign(path: Path, own: tuple[str, ...]) -> list[str]:
    return [
        name
        for name in _imports(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and name.split(".")[0] not in ALLOWED
        and not name.startswith(own)
    ]


def test_the_sdk_imports_only_the_standard_library_httpx_and_websockets() -> None:
    files = sorted((REPO / "agentgraph" / "runtime").glob("*.py"))
    assert len(files) >= 10
    for path in files:
        assert _foreign(path, ("agentgraph.runtime",)) == [], path


def test_the_example_uses_the_sdk_and_nothing_of_the_server() -> None:
    for path in sorted((REPO / "examples").glob("*.py")):
        assert _foreign(path, ("agentgraph.runtime", "examples")) == [], path


def test_importing_the_sdk_loads_no_server_module() -> None:
    probe = (
        "import sys, agentgraph.runtime\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({SERVER!r})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
