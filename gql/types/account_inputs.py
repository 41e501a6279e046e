"""Inputs of accounts: signing up and signing in."""

from __future__ import annotations

import strawberry


@strawberry.input(description="A new account.")
class RegisterInput:
    email: str = strawberry.field(description="Sign-in email; unique in any letter case.")
    password: str = strawberry.field(description="At least 10 characters.")
    first_name: str | None = strawberry.field(default=strawberry.UNSET, description="Given name.")
    last_name: str | None = strawberry.field(default=strawberry.UNSET, description="Family name.")


@strawberry.input(description="Credentials to sign in with.")
class LoginInput:
    email: str = strawberry.field(description="Sign-in email, in any letter case.")
    password: str = strawberry.field(description="The account's password.")
