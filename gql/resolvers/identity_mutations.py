"""Mutations of identity: accounts, sessions and agent tokens. Thin: parse → use case → return."""

from __future__ import annotations

import strawberry

from domain.usecases import identity
from gql.context import Info
from gql.ids import from_global_id, to_global_id
from gql.permissions import SignedIn
from gql.types.identity_inputs import LoginInput, RegisterInput, given
from gql.types.payloads import AgentTokenPayload, AuthPayload, DeletePayload
from gql.types.user import User


def _token_config(info: Info) -> identity.TokenConfig:
    settings = info.context.settings
    return identity.TokenConfig(
        secret_key=info.context.services.secret_key,
        access_ttl_s=settings.access_token_ttl_s,
        refresh_ttl_s=settings.refresh_token_ttl_s,
    )


def _auth_payload(session: identity.Session) -> AuthPayload:
    return AuthPayload(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        expires_in=session.expires_in,
        user=User.from_row(session.user),
    )


@strawberry.type
class IdentityMutations:
    @strawberry.mutation(description="Create an account and sign in. Needs no token.")
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        session = await identity.register(
            info.context.database,
            _token_config(info),
            email=input.email,
            password=input.password,
            first_name=given(input.first_name),
            last_name=given(input.last_name),
        )
        return _auth_payload(session)

    @strawberry.mutation(
        description=(
            "Sign in with email and password. Needs no token. Repeated failures per email and "
            "per client address are slowed down, then RATE_LIMITED."
        )
    )
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        session = await identity.login(
            info.context.database,
            _token_config(info),
            info.context.services.login_throttle,
            email=input.email,
            password=input.password,
            client_address=info.context.client_address,
        )
        return _auth_payload(session)

    @strawberry.mutation(
        description=(
            "A new session for a refresh token, which is used up (rotated). Presenting a used "
            "refresh token again revokes every session of its sign-in. Needs no access token."
        )
    )
    async def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        session = await identity.refresh(info.context.database, _token_config(info), refresh_token)
        return _auth_payload(session)

    @strawberry.mutation(
        description=(
            "Sign out: revokes the refresh token and every token rotated from its sign-in. "
            "Access tokens already issued stay valid until they expire (at most expiresIn)."
        ),
        permission_classes=[SignedIn],
    )
    async def logout(self, info: Info, refresh_token: str) -> bool:
        return await identity.logout(info.context.database, info.context.viewer, refresh_token)

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
        row, secret = await identity.create_agent_token(
            info.context.database, info.context.viewer, agent_pk, given(name)
        )
        return AgentTokenPayload(
            id=strawberry.ID(to_global_id("AgentToken", row.id)), token=secret, agent_pk=agent_pk
        )

    @strawberry.mutation(
        description="Revoke an agent token: requests bearing it are refused from now on.",
        permission_classes=[SignedIn],
    )
    async def revoke_agent_token(self, info: Info, id: strawberry.ID) -> DeletePayload:
        token_pk = from_global_id(id, "AgentToken")
        await identity.revoke_agent_token(info.context.database, info.context.viewer, token_pk)
        return DeletePayload(id=id, message="Agent token revoked.")
