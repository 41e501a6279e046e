"""Mutations of agent tokens: the credentials agent runtimes authenticate with."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.ids import from_global_id, to_global_id
from gql.permissions import SignedIn
from gql.types.inputs import given
from gql.types.payloads import AgentTokenPayload, DeletePayload
from usecases import agent_tokens


@strawberry.type
class AgentTokenMutations:
    @strawberry.mutation(
        description=(
            "A token an agent runtime authenticates with, acting as this one agent. The project's "
            "owner or a superuser only."
        ),
        permission_classes=[SignedIn],
    )
    async def create_agent_token(
        self,
        info: Info,
        agent_id: strawberry.ID,
        name: str | None = strawberry.UNSET,
    ) -> AgentTokenPayload:
        agent_pk = from_global_id(agent_id, "Agent", "agentId")
        token, secret = await agent_tokens.create_agent_token(
            info.context.database, info.context.viewer, agent_pk, given(name)
        )
        return AgentTokenPayload(
            id=strawberry.ID(to_global_id("AgentToken", token.id)), token=secret, agent_pk=agent_pk
        )

    @strawberry.mutation(
        description="Revoke an agent token: requests bearing it are refused from now on.",
        permission_classes=[SignedIn],
    )
    async def revoke_agent_token(self, info: Info, id: strawberry.ID) -> DeletePayload:
        token_pk = from_global_id(id, "AgentToken")
        await agent_tokens.revoke_agent_token(info.context.database, info.context.viewer, token_pk)
        info.context.services.authenticator.forget()  # this process refuses it from now on
        return DeletePayload(id=id, message="Agent token revoked.")
