"""Which documents the ingest fast path answers: one mutation, one root field among
``heartbeat``, ``heartbeats`` and ``recordMetrics``, every argument a variable of exactly the
field's type, and a flat selection of fields the write itself returns. Anything else (literals,
aliases, directives, fragments, defaults, other fields) is not a shape: the Strawberry view
answers it."""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    print_ast,
)

# Root field -> {argument: the variable type it must be given}, and the fields it may select.
_ARGUMENTS = {
    "heartbeat": {"input": "HeartbeatInput!"},
    "heartbeats": {"inputs": "[HeartbeatInput!]!"},
    "recordMetrics": {"agentId": "ID!", "metrics": "[MetricInput!]!"},
}
_SELECTABLE = {
    "heartbeat": frozenset({"id", "lastHeartbeatAt", "health", "__typename"}),
    "heartbeats": frozenset({"accepted", "__typename"}),
    "recordMetrics": frozenset({"accepted", "__typename"}),
}


@dataclass(frozen=True)
class Shape:
    """A document the fast path answers: its root field, which variable holds each argument,
    and the selected fields in order."""

    field: str
    variables: dict[str, str]  # argument -> variable name
    selection: tuple[str, ...]
    operation: str | None = None  # the operation's name


def shape_of(document: DocumentNode, operation_name: str | None) -> Shape | None:
    """The document's shape, or None when the fast path leaves it to the view."""
    if len(document.definitions) != 1:
        return None
    operation = document.definitions[0]
    if not isinstance(operation, OperationDefinitionNode):
        return None
    if operation.operation is not OperationType.MUTATION or operation.directives:
        return None
    name = operation.name.value if operation.name else None
    if operation_name is not None and operation_name != name:
        return None
    selections = operation.selection_set.selections
    if len(selections) != 1 or not _plain(selections[0]):
        return None
    root = selections[0]
    assert isinstance(root, FieldNode)
    wanted = _ARGUMENTS.get(root.name.value)
    if wanted is None or root.selection_set is None:
        return None
    declared = {
        d.variable.name.value: print_ast(d.type)
        for d in operation.variable_definitions
        if d.default_value is None and not d.directives
    }
    if len(declared) != len(operation.variable_definitions) or len(declared) != len(wanted):
        return None
    variables = {}
    for argument in root.arguments:
        variable = argument.value
        if not isinstance(variable, VariableNode):
            return None
        if declared.get(variable.name.value) != wanted.get(argument.name.value):
            return None
        variables[argument.name.value] = variable.name.value
    if set(variables) != set(wanted) or len(set(variables.values())) != len(variables):
        return None
    selection = []
    for child in root.selection_set.selections:
        if not _plain(child) or child.selection_set is not None or child.arguments:  # type: ignore[attr-defined]
            return None
        assert isinstance(child, FieldNode)
        selection.append(child.name.value)
    if not set(selection) <= _SELECTABLE[root.name.value] or len(set(selection)) != len(selection):
        return None
    return Shape(root.name.value, variables, tuple(selection), name)


def _plain(node: object) -> bool:
    """A field without alias or directives (not a fragment)."""
    return isinstance(node, FieldNode) and node.alias is None and not node.directives
