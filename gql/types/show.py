"""From a record to the GraphQL type that shows it, for the fields that cross type modules.

Agent, Project, Execution (with its steps) and Approval refer to one another: an agent's
project, a project's agents, an execution's agent, a step's approval, an approval's step. Their
modules cannot all import one another when they load, so each of these types registers the
record it shows (``@shows``), and a resolver in another module returns ``show(record)``; its
return annotation names the type through ``strawberry.lazy``. ``gql/schema.py`` imports every
type module, so all are registered before a resolver runs. (Types that are not part of the
circle are imported and built directly.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from domain import records

if TYPE_CHECKING:
    from gql.types.agent import Agent
    from gql.types.approval import Approval
    from gql.types.execution import Execution, ExecutionStep
    from gql.types.project import Project

G = TypeVar("G")

_SHOWN_BY: dict[type, Callable[[Any], Any]] = {}


def shows(record_type: type) -> Callable[[type[G]], type[G]]:
    """Register the decorated GraphQL type (its ``from_record``) as what shows ``record_type``."""

    def register(graphql_type: type[G]) -> type[G]:
        _SHOWN_BY[record_type] = graphql_type.from_record  # type: ignore[attr-defined]
        return graphql_type

    return register


@overload
def show(record: records.Agent) -> Agent: ...
@overload
def show(record: records.Project) -> Project: ...
@overload
def show(record: records.Execution) -> Execution: ...
@overload
def show(record: records.ExecutionStep) -> ExecutionStep: ...
@overload
def show(record: records.Approval) -> Approval: ...


def show(record: Any) -> Any:
    """The GraphQL object showing ``record``."""
    return _SHOWN_BY[type(record)](record)
