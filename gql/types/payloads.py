"""Payloads mutations return: sessions, agent tokens, deletions."""

from __future__ import annotations

import uuid

import strawberry

from gql.context import Info
from gql.loaders.base import load_required
from gql.types.agent import Agent
from gql.types.user import User


@strawberry.type(description="A signed-in session: a short-lived access token and a refresh token.")
class AuthPayload:
    access_token: str = strawberry.field(
        description="Send as 'Authorization: Bearer <accessToken>'. A JWT; expires after expiresIn."
    )
    refresh_token: str = strawberry.field(
        description=(
            "Exchange with refreshToken for a new session; single use (it rotates). Presenting a "
            "used one again revokes every session of this sign-in."
        )
    )
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")
    user: User = strawberry.field(description="The signed-in user.")


@strawberry.type(description="A new agent token. Its secret is shown here once and never again.")
class AgentTokenPayload:
    agent_pk: strawberry.Private[uuid.UUID]
    id: strawberry.ID = strawberry.field(description="The token's id (pass to revokeAgentToken).")
    token: str = strawberry.field(
        description="Shown once; only its hash is stored. Agent runtimes send it as a Bearer token."
    )

    @strawberry.field(description="The agent this token acts as.")
    async def agent(self, info: Info) -> Agent:
        agent = await load_required(info.context.loaders.agent_by_id, self.agent_pk, "Agent")
        return Agent.from_record(agent)


@strawberry.type(description="The outcome of deleting or revoking something.")
class DeletePayload:
    id: strawberry.ID = strawberry.field(description="Global id of what was deleted or revoked.")
    message: str = strawberry.field(description="What happened, for people.")
