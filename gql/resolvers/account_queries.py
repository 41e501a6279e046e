"""Queries of the caller's account."""

from __future__ import annotations

import strawberry

from domain.errors import NotFound
from gql.context import Info
from gql.permissions import SignedIn
from gql.types.user import User


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The signed-in user.", permission_classes=[SignedIn])
    async def me(self, info: Info) -> User:
        viewer = info.context.viewer
        assert viewer.user_id is not None
        user = await info.context.loaders.user_by_id.load(viewer.user_id)
        if user is None:
            raise NotFound("User")
        return User.from_record(user)
