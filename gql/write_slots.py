"""Mutations run within their caller's write slots (usecases/write_slots.py): one caller's
writes queued on a hot row never hold most of the connection pool."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from gql.context import Context


class MutationWriteSlots(SchemaExtension):
    """Holds one of the caller's write slots while a mutation operation runs (queries and
    subscriptions take none; anonymous callers, ``login`` and ``register``, are counted by
    their address)."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if (
            not isinstance(context, Context)
            or self.execution_context.operation_type is not OperationType.MUTATION
        ):
            yield
            return
        caller = context.viewer.caller_key or f"address:{context.client_address}"
        async with context.services.write_slots.held(caller):
            yield
