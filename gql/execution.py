"""The executor: graphql-core's, except that sibling fields all settle before one error decides.

graphql-core runs sibling fields concurrently and, when a non-null one fails, cancels the rest:
which errors a response lists then depends on which loader's batch came back first, so the
same request could answer with different bytes (and the compiled read path, which must match
the resolvers byte for byte, could not be compared with them). Here every sibling runs to its
end; the first failure in the selection's order is the one that propagates, and the nullable
fields' errors are all recorded, the same every time.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class _Held:
    """A field's failure, kept until its siblings have settled."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


async def _settled(result: Awaitable[Any]) -> Any:
    try:
        return await result
    except Exception as error:
        return _Held(error)


def _first_failure_raised(results: dict[str, Any]) -> dict[str, Any]:
    for value in results.values():
        if isinstance(value, _Held):
            raise value.error
    return results


class SettledExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with settled siblings (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holding = False  # inside execute_fields' own loop over sibling fields

    def execute_fields(self, *args: Any, **kwargs: Any) -> Any:
        outer, self._holding = self._holding, True
        try:
            results = super().execute_fields(*args, **kwargs)
        finally:
            self._holding = outer
        if not self.is_awaitable(results):
            return results

        async def in_order() -> dict[str, Any]:
            return _first_failure_raised(await results)

        return in_order()

    def execute_field(self, *args: Any, **kwargs: Any) -> Any:
        hold, self._holding = self._holding, False  # nested selections decide for themselves
        try:
            result = super().execute_field(*args, **kwargs)
        finally:
            self._holding = hold
        return _settled(result) if hold and self.is_awaitable(result) else result
