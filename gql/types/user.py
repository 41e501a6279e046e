"""User: a person who owns projects and decides approvals."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry

from gql.ids import to_global_id
from gql.scalars import DateTime
from gql.types.node import Node


@strawberry.type(description="A person with an account.")
class User(Node):
    pk: strawberry.Private[uuid.UUID]
    email: str = strawberry.field(description="Sign-in email (unique, case-insensitive).")
    first_name: str | None = strawberry.field(description="Given name.")
    last_name: str | None = strawberry.field(description="Family name.")
    is_superuser: bool = strawberry.field(description="Superusers see and manage everything.")
    created_at: DateTime = strawberry.field(description="When the account was created.")

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(
            id=strawberry.ID(to_global_id("User", row.id)),
            pk=row.id,
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            is_superuser=row.is_superuser,
            created_at=row.created_at,
        )
