"""Which GraphQL fields the compiled read path builds, and from what.

One table per object type: a field is an attribute of the entity (its value spelled by the
field's GraphQL type), the object's global id, or a relation with the arguments the resolver
would pass. A field not listed here is not compilable: the request falls back to the
resolvers, which are the reference. Arguments are turned into store requests by the very
functions the resolvers call, so both paths read the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from domain.access import Viewer
from gql import cursors
from gql.config import SurfaceConfig
from gql.pagination import CursorKind, PageArgs, keyset_for
from gql.types.agent import metric_filter
from gql.types.project import agent_listing
from store.keyset import Keyset

Args = Mapping[str, Any]


@dataclass(frozen=True)
class Attr:
    """A value of the entity; ``attribute`` defaults to the field's Python name."""

    attribute: str | None = None


@dataclass(frozen=True)
class Id:
    type_name: str


@dataclass(frozen=True)
class PageSpec:
    """How a connection's arguments become a keyset page, its cursor tag and store arguments."""

    page: Callable[[Args, SurfaceConfig], tuple[Keyset, str, dict[str, Any]]]


@dataclass(frozen=True)
class Rel:
    relation: str
    kind: Literal["one", "many", "page"]
    args: Callable[[Args], dict[str, Any]] = lambda args: {}
    paging: PageSpec | None = None
    # Callers for whom the resolver raises inside the selection: they take the reference path.
    refused: Callable[[Viewer], bool] = lambda viewer: False


FieldSpec = Attr | Id | Rel


@dataclass(frozen=True)
class TypeSpec:
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)


def _fixed_page(kind: CursorKind, **store_args: Callable[[Args], Any]) -> PageSpec:
    def page(args: Args, config: SurfaceConfig) -> tuple[Keyset, str, dict[str, Any]]:
        keyset = keyset_of(args, kind, config)
        return keyset, kind.tag, {name: get(args) for name, get in store_args.items()}

    return PageSpec(page)


def keyset_of(args: Args, kind: CursorKind, config: SurfaceConfig) -> Keyset:
    """The keyset page a connection's first/after/last/before ask for (as the resolvers check it)."""
    paging = PageArgs(args.get("first"), args.get("after"), args.get("last"), args.get("before"))
    return keyset_for(
        paging, kind.tag, kind.key,
        default_size=config.default_page_size, max_size=config.max_page_size,
    )  # fmt: skip


def _agents_page(args: Args, config: SurfaceConfig) -> tuple[Keyset, str, dict[str, Any]]:
    listing = agent_listing(args.get("filter"), args.get("order_by"))
    keyset = keyset_of(args, listing, config)
    store_args = {"filter": listing.flt, "order": listing.order, "descending": listing.descending}
    return keyset, listing.tag, store_args


def _metrics_page(args: Args, config: SurfaceConfig) -> tuple[Keyset, str, dict[str, Any]]:
    flt = metric_filter(args.get("name"), args.get("since"), args.get("until"), args.get("tags"))
    return keyset_of(args, cursors.METRICS, config), cursors.METRICS.tag, {"filter": flt}


def _status_value(args: Args) -> str | None:
    status = args.get("status")
    return status.value if status is not None else None


def _plain(*names: str) -> dict[str, FieldSpec]:
    return {name: Attr() for name in names}


TYPES: Mapping[str, TypeSpec] = {
    "User": TypeSpec({
        "id": Id("User"), **_plain("email", "firstName", "lastName", "isSuperuser", "createdAt"),
    }),
    "AgentType": TypeSpec({
        "id": Id("AgentType"),
        **_plain(
            "name", "slug", "description", "expertise", "personalityPrompt", "primaryModel",
            "fallbackModels", "modelParams", "mcpServers", "isActive", "createdAt", "updatedAt",
        ),
    }),
    "Project": TypeSpec({
        "id": Id("Project"), **_plain("name", "slug", "createdAt", "updatedAt"),
        # An agent runtime is refused its project's owner (NOT_FOUND inside the selection).
        "owner": Rel("owner", "one", refused=lambda viewer: viewer.is_agent),
        "agents": Rel("agents", "page", paging=PageSpec(_agents_page)),
        "agentStats": Rel("agent_stats", "one"),
    }),
    "AgentInstanceMetrics": TypeSpec(_plain(
        "totalInstances", "activeInstances", "idleInstances", "pausedInstances",
        "errorInstances", "terminatedInstances", "totalTasksCompleted", "totalTokensUsed",
        "totalCostIncurred",
    )),
    "Agent": TypeSpec({
        "id": Id("Agent"),
        **_plain(
            "name", "status", "revision", "safetyLevel", "version", "endpoint",
            "lastHeartbeatAt", "tasksCompleted", "tokensUsed", "costIncurred", "createdAt",
            "updatedAt", "health",
        ),
        "project": Rel("project", "one"),
        "agentType": Rel("agent_type", "one"),
        "state": Rel("state", "one"),
        "configs": Rel("configs", "many", args=lambda a: {"keys": a.get("keys")}),
        "capabilities": Rel(
            "capabilities", "many",
            args=lambda a: {"name": a.get("name"), "enabled_only": a.get("enabled_only")},
        ),
        "metrics": Rel("metrics", "page", paging=PageSpec(_metrics_page)),
        "statusHistory": Rel("status_history", "page", paging=_fixed_page(cursors.TRANSITIONS)),
        "executions": Rel(
            "executions", "page", paging=_fixed_page(cursors.EXECUTIONS, status=_status_value)
        ),
        "approvals": Rel(
            "approvals", "page", paging=_fixed_page(cursors.APPROVALS, status=_status_value)
        ),
    }),
    "AgentState": TypeSpec(_plain(
        "currentWorkflow", "workflowData", "activeWorkflows", "resourceLocks", "resourceUsage",
        "metadata", "errorCount", "lastError", "lastActivityAt", "updatedAt",
    )),
    "AgentConfig": TypeSpec({
        "id": Id("AgentConfig"),
        **_plain(
            "key", "value", "valueType", "typedValue", "description", "isSensitive", "masked",
            "createdAt", "updatedAt",
        ),
    }),
    "AgentCapability": TypeSpec({
        "id": Id("AgentCapability"),
        **_plain("name", "version", "enabled", "parameters", "description", "createdAt", "updatedAt"),
    }),
    "AgentMetric": TypeSpec({
        "id": Id("AgentMetric"),
        **_plain("name", "value", "metricType", "unit", "tags", "recordedAt"),
    }),
    "StatusTransition": TypeSpec({
        "id": Id("StatusTransition"),
        **_plain("cursor", "fromStatus", "toStatus", "reason", "actor", "at"),
    }),
    "Execution": TypeSpec({
        "id": Id("Execution"),
        **_plain(
            "description", "input", "status", "dryRun", "startedAt", "completedAt", "result",
            "error", "recoveryStrategy", "tokensUsed", "cost",
        ),
        "agent": Rel("agent", "one"),
        "steps": Rel("steps", "many"),
        "checkpoints": Rel("checkpoints", "many"),
        "events": Rel("events", "page", paging=_fixed_page(cursors.EXECUTION_EVENTS)),
    }),
    "ExecutionStep": TypeSpec({
        **_plain(
            "index", "tool", "params", "rationale", "riskLevel", "requiresApproval", "safe",
            "risks", "mitigations", "status", "result", "error", "attempts", "startedAt",
            "completedAt",
        ),
        "approval": Rel("approval", "one"),
    }),
    "Checkpoint": TypeSpec({"id": Id("Checkpoint"), **_plain("name", "data", "createdAt")}),
    "ExecutionEvent": TypeSpec(_plain("eventType", "data", "at")),
    "Approval": TypeSpec({
        "id": Id("Approval"),
        **_plain("status", "requestedAt", "expiresAt", "decidedAt", "reason"),
        "agent": Rel("agent", "one"),
        "execution": Rel("execution", "one"),
        "step": Rel("step", "one"),
        "decidedBy": Rel("decided_by", "one"),
    }),
}  # fmt: skip

# Node types node(id) can compile, by the type name inside the global id.
NODE_TYPES = frozenset(
    {
        "User", "AgentType", "Project", "Agent", "AgentConfig", "AgentCapability",
        "AgentMetric", "StatusTransition", "Execution", "Approval", "Checkpoint",
    }
)  # fmt: skip
