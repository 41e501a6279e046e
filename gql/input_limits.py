"""Every input has a stated limit, checked before any SQL: one table, one walk of the arguments.

Strings: at most the length of the column they are stored in (read off the tables, so the two
cannot drift), else ``MAX_STRING_LENGTH``; no NUL, no lone UTF-16 surrogate, no control
character but tab, newline and carriage return. JSON values: at most ``MAX_JSON_CHARACTERS``
serialized and ``MAX_JSON_DEPTH`` deep, finite numbers, the same rules for every string and key.
Floats: finite and within ±``MAX_FLOAT_MAGNITUDE`` (so sums and averages of metric values cannot
overflow). A refusal is VALIDATION_ERROR naming the argument's path (``input.currentWorkflow``,
``metrics[2].unit``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Undefined,
    value_from_ast,
    visit,
)
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from domain.values import MAX_TEXT_LENGTH
from store.tables import (
    agent_tokens,
    agent_types,
    agents,
    capabilities,
    checkpoints,
    configs,
    metrics,
    projects,
    states,
    steps,
    users,
)
from store.tables import max_length as _column

MAX_STRING_LENGTH = MAX_TEXT_LENGTH  # free text: reasons, descriptions, prompts, errors …
MAX_JSON_CHARACTERS = 65_536
MAX_JSON_DEPTH = 32
MAX_FLOAT_MAGNITUDE = 1e100

# "InputType.field" or "Parent.field(argument)" → the most characters it may hold.
STRING_LIMITS: dict[str, int] = {
    "AgentFilter.nameContains": _column(agents, "name"),
    "CapabilityInput.name": _column(capabilities, "name"),
    "CapabilityInput.version": _column(capabilities, "version"),
    "RegisterCapabilityInput.name": _column(capabilities, "name"),
    "RegisterCapabilityInput.version": _column(capabilities, "version"),
    "ConfigInput.key": _column(configs, "key"),
    "SetAgentConfigInput.key": _column(configs, "key"),
    "CreateAgentTypeInput.name": _column(agent_types, "name"),
    "CreateAgentTypeInput.slug": _column(agent_types, "slug"),
    "CreateAgentTypeInput.primaryModel": _column(agent_types, "primary_model"),
    "CreateAgentTypeInput.expertise": 200,
    "CreateAgentTypeInput.fallbackModels": _column(agent_types, "primary_model"),
    "CreateAgentTypeInput.mcpServers": 2048,
    "UpdateAgentTypeInput.name": _column(agent_types, "name"),
    "UpdateAgentTypeInput.primaryModel": _column(agent_types, "primary_model"),
    "UpdateAgentTypeInput.expertise": 200,
    "UpdateAgentTypeInput.fallbackModels": _column(agent_types, "primary_model"),
    "UpdateAgentTypeInput.mcpServers": 2048,
    "CreateProjectInput.name": _column(projects, "name"),
    "CreateProjectInput.slug": _column(projects, "slug"),
    "HeartbeatInput.currentWorkflow": _column(states, "current_workflow"),
    "UpdateAgentStateInput.currentWorkflow": _column(states, "current_workflow"),
    "MetricInput.name": _column(metrics, "name"),
    "MetricInput.unit": _column(metrics, "unit"),
    "LoginInput.email": _column(users, "email"),
    "LoginInput.password": 1024,
    "RegisterInput.email": _column(users, "email"),
    "RegisterInput.password": 1024,
    "RegisterInput.firstName": _column(users, "first_name"),
    "RegisterInput.lastName": _column(users, "last_name"),
    "SpawnAgentInput.name": _column(agents, "name"),
    "SpawnAgentInput.version": _column(agents, "version"),
    "SpawnAgentInput.endpoint": 2048,
    "StepInput.tool": _column(steps, "tool"),
    "AgentTransitionInput.reason": 2000,
    "Mutation.createAgentToken(name)": _column(agent_tokens, "name"),
    "Mutation.saveCheckpoint(name)": _column(checkpoints, "name"),
}

# Control characters that make sense in free text: tab, newline, carriage return.
_BAD_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class _Refused(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _check_text(text: str, field: str, limit: int) -> None:
    if len(text) > limit:
        raise _Refused(field, f"must be at most {limit} characters")
    bad = _BAD_CHARACTERS.search(text)
    if bad is not None:
        char = bad.group()
        what = "lone UTF-16 surrogates" if "\ud800" <= char <= "\udfff" else "control characters"
        raise _Refused(field, f"must not contain {what}")


def _check_float(value: float, field: str) -> None:
    if not math.isfinite(value):
        raise _Refused(field, "must be a finite number")
    if abs(value) > MAX_FLOAT_MAGNITUDE:
        raise _Refused(
            field, f"must be between -{MAX_FLOAT_MAGNITUDE:g} and {MAX_FLOAT_MAGNITUDE:g}"
        )


def _check_json(value: Any, field: str) -> None:
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise _Refused(field, f"must be at most {MAX_JSON_DEPTH} levels deep")
        if isinstance(node, str):
            _check_text(node, field, MAX_JSON_CHARACTERS)
        elif isinstance(node, float):
            _check_float(node, field)
        elif isinstance(node, dict):
            for key, item in node.items():
                _check_text(str(key), field, MAX_STRING_LENGTH)
                pending.append((item, depth + 1))
        elif isinstance(node, list):
            pending.extend((item, depth + 1) for item in node)
    try:
        size = len(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError):
        raise _Refused(field, "must be a JSON value") from None
    if size > MAX_JSON_CHARACTERS:
        raise _Refused(field, f"must be at most {MAX_JSON_CHARACTERS} characters as JSON")


def _check_value(value: Any, type_: GraphQLInputType, field: str, limit_key: str) -> None:
    if value is None or value is Undefined:
        return
    if isinstance(type_, GraphQLNonNull):
        _check_value(value, type_.of_type, field, limit_key)
    elif isinstance(type_, GraphQLList):
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            _check_value(item, type_.of_type, f"{field}[{index}]", limit_key)
    elif isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value, dict):
            return
        for name, input_field in type_.fields.items():
            key = input_field.out_name or name
            item = value.get(key, value.get(name))
            _check_value(item, input_field.type, f"{field}.{name}", f"{type_.name}.{name}")
    elif isinstance(type_, GraphQLScalarType):
        if type_.name == "JSON":
            _check_json(value, field)
        elif isinstance(value, str):
            _check_text(value, field, STRING_LIMITS.get(limit_key, MAX_STRING_LENGTH))
        elif isinstance(value, float):
            _check_float(value, field)


class _Arguments(Visitor):
    def __init__(self, type_info: TypeInfo, variables: dict[str, Any]) -> None:
        super().__init__()
        self.type_info = type_info
        self.variables = variables
        self.refused: tuple[_Refused, FieldNode] | None = None

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        definition = self.type_info.get_field_def()
        parent = self.type_info.get_parent_type()
        if self.refused is not None or definition is None or parent is None:
            return
        for argument in node.arguments or ():
            name = argument.name.value
            spec = definition.args.get(name)
            if spec is None:
                continue
            value = value_from_ast(argument.value, spec.type, self.variables)
            try:
                _check_value(value, spec.type, name, f"{parent.name}.{node.name.value}({name})")
            except _Refused as refused:
                self.refused = (refused, node)
                return


def input_refusal(
    schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]
) -> GraphQLError | None:
    """The VALIDATION_ERROR for the first argument past its limit in ``document``, if any."""
    type_info = TypeInfo(schema)
    arguments = _Arguments(type_info, variables)
    visit(document, TypeInfoVisitor(type_info, arguments))
    if arguments.refused is None:
        return None
    refused, node = arguments.refused
    return GraphQLError(
        f"{refused.field}: {refused.message}",
        [node],
        extensions={"code": "VALIDATION_ERROR", "field": refused.field},
    )


class EnforceInputLimits(SchemaExtension):
    """Runs ``input_refusal`` before validation (it reads invalid documents safely: unknown
    fields and values that do not fit their type are skipped, for validation to report)."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and not context.pre_execution_errors:
            schema = context.schema._schema
            error = input_refusal(schema, context.graphql_document, context.variables or {})
            if error is not None:
                context.pre_execution_errors = [error]
        yield
