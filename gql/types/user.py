"""User: a person who owns projects and decides approvals."""

from __future__ import annotations

import uuid

import strawberry

from domain import records
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
    def from_record(cls, user: records.User) -> User:
        return cls(
            id=strawberry.ID(to_global_id("User", user.id)),
            pk=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            is_superuser=user.is_superuser,
            created_at=user.created_at,
        )
