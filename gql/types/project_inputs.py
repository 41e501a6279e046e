"""Inputs of projects."""

from __future__ import annotations

import strawberry

from gql.types.inputs import SLUG_DESCRIPTION


@strawberry.input(description="A new project, owned by the caller.")
class CreateProjectInput:
    name: str = strawberry.field(description="Display name.")
    slug: str = strawberry.field(description=SLUG_DESCRIPTION)
