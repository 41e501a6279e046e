"""The GraphQL schema, assembled from one module per aggregate."""

from __future__ import annotations

import strawberry


@strawberry.type(description="Entry point for reads.")
class Query:
    @strawberry.field(description="Liveness of the API.")
    def ping(self) -> str:
        return "pong"


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(query=Query)


def export_sdl() -> str:
    """The schema as SDL, exactly as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"
