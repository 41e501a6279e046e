"""The committed schema.graphql is what the code serves, and it keeps the API contract."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema, find_breaking_changes

from gql.schema import export_sdl
from tests.support.requirements import require

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO.parent / "shared" / "contract.graphql"


def test_schema_graphql_matches_the_code() -> None:
    committed = (REPO / "schema.graphql").read_text()
    assert committed == export_sdl(), "schema.graphql is stale: run `make schema` and commit it"


def test_schema_keeps_every_promise_of_the_contract() -> None:
    require(CONTRACT.exists(), f"no API contract at {CONTRACT} (../shared beside the repo)")
    changes = find_breaking_changes(build_schema(CONTRACT.read_text()), build_schema(export_sdl()))
    assert [f"{c.type.name}: {c.description}" for c in changes] == []


def test_every_type_and_field_a_client_sees_is_described() -> None:
    schema = build_schema(export_sdl())
    missing = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
    assert missing == []
