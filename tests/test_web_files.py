"""The dashboard's static files (web/): served at / beside /graphql, every module a page
imports exists, and nothing is fetched from elsewhere. (The browser tests are in tests/web/.)"""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.api import GraphQLClient

WEB = Path(__file__).resolve().parent.parent / "web"
IMPORT = re.compile(
    r"""(?:import|export)\s[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']"""
)
REFERENCE = re.compile(r"""(?:src|href)="([^"#]+)\"""")
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


async def test_the_dashboard_is_served_at_the_root_and_graphiql_stays_at_graphql(
    api: GraphQLClient,
) -> None:
    page = await api.http.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="js/main.js">' in page.text
    module = await api.http.get("/js/ws.js")
    assert module.status_code == 200
    assert module.headers["content-type"].split(";")[0] in (
        "text/javascript",
        "application/javascript",
    )
    graphiql = await api.http.get("/graphql", headers={"Accept": "text/html"})
    assert graphiql.status_code == 200 and "graphiql" in graphiql.text.lower()
    assert (await api.http.get("/js/missing.js")).status_code == 404
    assert (await api.http.get("/healthz")).json() == {"status": "ok"}


def test_every_import_and_reference_resolves_to_a_file_of_web() -> None:
    scripts = sorted(WEB.rglob("*.js"))
    assert len(scripts) >= 10
    for script in scripts:
        for match in IMPORT.finditer(script.read_text()):
            target = match.group(1) or match.group(2)
            assert target.startswith("."), f"{script.name} imports {target!r}: not a file of ours"
            assert (script.parent / target).resolve().is_file(), f"{script.name}: {target}"
    index = (WEB / "index.html").read_text()
    for reference in REFERENCE.findall(index):
        if reference != "graphql":
            assert (WEB / reference).is_file(), reference


def test_nothing_is_loaded_from_another_host() -> None:
    for path in WEB.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".js", ".css", ".svg"):
            text = path.read_text().replace(SVG_NAMESPACE, "")
            assert not re.search(r"\b(?:https?:)?//[a-z0-9.-]+\.[a-z]", text, re.I), path.name
