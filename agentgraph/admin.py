"""Operator commands that act on accounts (used by `agentgraph create-superuser`)."""

from __future__ import annotations

from domain.errors import ValidationFailed
from domain.values import validate_email, validate_password
from store.database import Database
from usecases import accounts


def check_credentials(email: str, password: str) -> None:
    """The checks create-superuser's use case makes, named by the command-line options."""
    try:
        validate_email(email, "email")
        validate_password(password, "password")
    except ValidationFailed as error:
        raise ValidationFailed(f"--{error.field}", error.reason) from None


async def create_superuser(url: str, email: str, password: str) -> bool:
    """Create the superuser, or promote the existing user and set its password. True if created.

    Bad input raises ``ValidationFailed`` naming the command-line option (``--email: …``), which
    the CLI prints as one line.
    """
    database = Database(url, pool_size=1, max_overflow=0, application_name="agentgraph-admin")
    try:
        return await accounts.create_superuser(database, email, password)
    except ValidationFailed as error:
        raise ValidationFailed(f"--{error.field}", error.reason) from None
    finally:
        await database.dispose()
