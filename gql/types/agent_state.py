"""AgentState: what an agent runtime reports of its workflows and resources (one per agent)."""

from __future__ import annotations

import strawberry

from domain import records
from gql.scalars import JSON, DateTime
from gql.types import enums as _enums  # noqa: F401  (registers the GraphQL enums)


@strawberry.type(description="Runtime state of an agent (one per agent).")
class AgentState:
    current_workflow: str | None = strawberry.field(description="Workflow being run, if any.")
    workflow_data: JSON = strawberry.field(description="Data of the current workflow (object).")
    active_workflows: JSON = strawberry.field(description="Workflows in progress (array).")
    resource_locks: JSON = strawberry.field(description="Resources the agent holds (array).")
    resource_usage: JSON = strawberry.field(description="Latest resource usage (object).")
    metadata: JSON = strawberry.field(description="Free-form metadata (object).")
    error_count: int = strawberry.field(description="Errors reported so far.")
    last_error: JSON | None = strawberry.field(description="The latest reported error.")
    last_activity_at: DateTime | None = strawberry.field(description="Latest state change.")
    updated_at: DateTime = strawberry.field(description="When the state row last changed.")

    @classmethod
    def from_record(cls, state: records.AgentState) -> AgentState:
        return cls(
            current_workflow=state.current_workflow,
            workflow_data=state.workflow_data,
            active_workflows=state.active_workflows,
            resource_locks=state.resource_locks,
            resource_usage=state.resource_usage,
            metadata=state.metadata,
            error_count=state.error_count,
            last_error=state.last_error,
            last_activity_at=state.last_activity_at,
            updated_at=state.updated_at,
        )
