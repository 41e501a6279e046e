"""Mutations of accounts: sign up, sign in, refresh, sign out. Thin: parse → use case → return."""

from __future__ import annotations

import strawberry

from gql.context import Info
from gql.permissions import SignedIn
from gql.types.account_inputs import LoginInput, RegisterInput
from gql.types.inputs import given
from gql.types.payloads import AuthPayload
from gql.types.user import User
from usecases import accounts


def _auth_payload(session: accounts.Session) -> AuthPayload:
    return AuthPayload(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        expires_in=session.expires_in,
        user=User.from_record(session.user),
    )


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        description=(
            "Create an account and sign in. Needs no token. Past a few registrations from one "
            "client address, each further one waits longer (RATE_LIMITED, retryAfterSeconds)."
        )
    )
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        session = await accounts.register(
            info.context.database,
            info.context.services.tokens,
            info.context.services.sign_in_throttle,
            email=input.email,
            password=input.password,
            client_address=info.context.client_address,
            first_name=given(input.first_name),
            last_name=given(input.last_name),
        )
        return _auth_payload(session)

    @strawberry.mutation(
        description=(
            "Sign in with email and password. Needs no token. Past a few failures for one email "
            "from one client address (or from one address over every email), each further "
            "attempt there waits longer (RATE_LIMITED, retryAfterSeconds); other addresses are "
            "not slowed down."
        )
    )
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        session = await accounts.login(
            info.context.database,
            info.context.services.tokens,
            info.context.services.sign_in_throttle,
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
        session = await accounts.refresh(
            info.context.database, info.context.services.tokens, refresh_token
        )
        return _auth_payload(session)

    @strawberry.mutation(
        description=(
            "Sign out: revokes the refresh token and every token rotated from its sign-in. "
            "Access tokens already issued stay valid until they expire (at most expiresIn)."
        ),
        permission_classes=[SignedIn],
    )
    async def logout(self, info: Info, refresh_token: str) -> bool:
        return await accounts.logout(info.context.database, info.context.viewer, refresh_token)
