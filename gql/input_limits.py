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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
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
    ValueNode,
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
    if _surely_small(value):
        return
    try:
        size = len(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError):
        raise _Refused(field, "must be a JSON value") from None
    if size > MAX_JSON_CHARACTERS:
        raise _Refused(field, f"must be at most {MAX_JSON_CHARACTERS} characters as JSON")


def _surely_small(value: Any) -> bool:
    """True when ``value`` is plainly within MAX_JSON_CHARACTERS as ``json.dumps`` writes it:
    orjson's compact bytes are never fewer than the characters, and ``json.dumps`` adds at
    most one character a separator and two a number (``1e+100`` for ``1e100``), so three
    times orjson's length bounds it. Near the limit (or what orjson will not write), the
    exact count decides."""
    try:
        return 3 * len(orjson.dumps(value)) <= MAX_JSON_CHARACTERS
    except (TypeError, orjson.JSONEncodeError):
        return False


# A check of one input value; a refusal names the path below the value (``[2].unit``), to
# which each enclosing check adds its own part.
_Check = Callable[[Any], None]


def _check_scalar(limit: int) -> _Check:
    def check(value: Any) -> None:
        if isinstance(value, str):
            _check_text(value, "", limit)
        elif isinstance(value, float):
            _check_float(value, "")

    return check


def _check_json_value(value: Any) -> None:
    _check_json(value, "")


def _check_list(inner: _Check) -> _Check:
    def check(value: Any) -> None:
        items = value if isinstance(value, list) else [value]
        index = 0
        try:
            for index, item in enumerate(items):  # noqa: B007 (named on refusal)
                if item is not None and item is not Undefined:
                    inner(item)
        except _Refused as refused:
            refused.field = f"[{index}]{refused.field}"
            raise

    return check


def _check_object(fields: list[tuple[str, str, _Check]]) -> _Check:
    def check(value: Any) -> None:
        if not isinstance(value, dict):
            return
        name = ""
        try:
            for key, name, inner in fields:
                item = value.get(key, value.get(name))
                if item is not None and item is not Undefined:
                    inner(item)
        except _Refused as refused:
            refused.field = f".{name}{refused.field}"
            raise

    return check


def _checker(
    type_: GraphQLInputType, limit_key: str, built: dict[tuple[int, str], _Check | None]
) -> _Check | None:
    """The check of a value of ``type_`` (None: nothing of it is ever refused), built once for a
    document's argument; ``built`` holds the checks made so far (input types may nest
    themselves)."""
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        inner = _checker(type_.of_type, limit_key, built)
        return None if inner is None else _check_list(inner)
    if isinstance(type_, GraphQLScalarType):
        if type_.name == "JSON":
            return _check_json_value
        return _check_scalar(STRING_LIMITS.get(limit_key, MAX_STRING_LENGTH))
    if not isinstance(type_, GraphQLInputObjectType):
        return None  # enums: their values are names the schema knows
    memo = (id(type_), limit_key)
    if memo in built:
        return built[memo]
    fields: list[tuple[str, str, _Check]] = []
    check = _check_object(fields)
    built[memo] = check  # before the fields: a field of this very type finds it
    for name, input_field in type_.fields.items():
        inner = _checker(input_field.type, f"{type_.name}.{name}", built)
        if inner is not None:
            fields.append((input_field.out_name or name, name, inner))
    return check


@dataclass(frozen=True)
class _Argument:
    """One argument of a field in the document: its value's node and its check."""

    node: FieldNode
    name: str
    type_: GraphQLInputType
    value: ValueNode
    check: _Check | None


class _Arguments(Visitor):
    """Every argument the schema knows, of every field of a document, in document order."""

    def __init__(self, type_info: TypeInfo) -> None:
        super().__init__()
        self.type_info = type_info
        self.found: list[_Argument] = []
        self._built: dict[tuple[int, str], _Check | None] = {}

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        definition = self.type_info.get_field_def()
        parent = self.type_info.get_parent_type()
        if definition is None or parent is None:
            return
        for argument in node.arguments or ():
            name = argument.name.value
            spec = definition.args.get(name)
            if spec is None:
                continue
            limit_key = f"{parent.name}.{node.name.value}({name})"
            check = _checker(spec.type, limit_key, self._built)
            self.found.append(_Argument(node, name, spec.type, argument.value, check))


class InputChecks:
    """The arguments of each document lately checked, found once per document (the walk with
    TypeInfo depends on the document alone); the values are checked on every request."""

    def __init__(self, size: int = 1000) -> None:
        self._size = size
        # id(document) -> (the document, kept so that its id is not reused; its arguments).
        self._known: dict[int, tuple[DocumentNode, list[_Argument]]] = {}

    def arguments(self, schema: GraphQLSchema, document: DocumentNode) -> list[_Argument]:
        known = self._known.get(id(document))
        if known is not None and known[0] is document:
            return known[1]
        type_info = TypeInfo(schema)
        found = _Arguments(type_info)
        visit(document, TypeInfoVisitor(type_info, found))
        if len(self._known) >= self._size:
            self._known.clear()
        self._known[id(document)] = (document, found.found)
        return found.found


_CHECKS = InputChecks()


def input_refusal(
    schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]
) -> GraphQLError | None:
    """The VALIDATION_ERROR for the first argument past its limit in ``document``, if any."""
    for argument in _CHECKS.arguments(schema, document):
        if argument.check is None:
            continue
        value = value_from_ast(argument.value, argument.type_, variables)
        if value is None or value is Undefined:
            continue
        try:
            argument.check(value)
        except _Refused as refused:
            field = f"{argument.name}{refused.field}"
            return GraphQLError(
                f"{field}: {refused.message}",
                [argument.node],
                extensions={"code": "VALIDATION_ERROR", "field": field},
            )
    return None


_METRIC_FIELDS = frozenset({"name", "value", "metricType", "unit", "tags", "recordedAt"})
_METRIC_NAME = STRING_LIMITS["MetricInput.name"]
_METRIC_UNIT = STRING_LIMITS["MetricInput.unit"]
# A flat tags object this small is plainly within MAX_JSON_CHARACTERS as json.dumps writes it:
# an entry is a key and a value of at most _PLAIN_TAG_TEXT characters (a string at most twice as
# long escaped, as no control character but tab, newline and carriage return passes, plus its
# quotes; a number at most 24), ": " and ", ": 2 * (2 * 256 + 2) + 4 = 1,032 characters, so 32
# entries and the braces 33,026.
_PLAIN_TAGS = 32
_PLAIN_TAG_TEXT = 256


def plainly_within_metric_limits(points: Any, agent_id: Any) -> bool:
    """True when ``recordMetrics``'s arguments, as the variables hold them, are by one cheap
    pass within every limit ``input_refusal`` checks: each point an object of MetricInput's
    fields, strings within their columns, floats finite and within ±MAX_FLOAT_MAGNITUDE, tags
    a small flat object, and no refused character in any string (one search over all of them).
    False says only that this pass cannot tell: ``input_refusal`` then decides, and words it."""
    if not isinstance(points, list) or not isinstance(agent_id, str):
        return False
    texts = [agent_id]
    if len(agent_id) > MAX_STRING_LENGTH:
        return False
    for point in points:
        if type(point) is not dict or not _METRIC_FIELDS.issuperset(point):
            return False
        name = point.get("name")
        if type(name) is not str or len(name) > _METRIC_NAME:
            return False
        texts.append(name)
        value = point.get("value")
        if type(value) is float:
            if not -MAX_FLOAT_MAGNITUDE <= value <= MAX_FLOAT_MAGNITUDE:  # NaN fails it too
                return False
        elif type(value) is not int:
            return False
        unit = point.get("unit")
        if unit is not None:
            if type(unit) is not str or len(unit) > _METRIC_UNIT:
                return False
            texts.append(unit)
        recorded_at = point.get("recordedAt")
        if recorded_at is not None:
            if type(recorded_at) is not str or len(recorded_at) > MAX_STRING_LENGTH:
                return False
            texts.append(recorded_at)
        tags = point.get("tags")
        if tags is not None and not _plain_tags(tags, texts):
            return False
    return _BAD_CHARACTERS.search("".join(texts)) is None


def _plain_tags(tags: Any, texts: list[str]) -> bool:
    if type(tags) is not dict or len(tags) > _PLAIN_TAGS:
        return False
    for key, item in tags.items():
        if type(key) is not str or len(key) > _PLAIN_TAG_TEXT:
            return False
        texts.append(key)
        if type(item) is str:
            if len(item) > _PLAIN_TAG_TEXT:
                return False
            texts.append(item)
        elif type(item) is float:
            if not -MAX_FLOAT_MAGNITUDE <= item <= MAX_FLOAT_MAGNITUDE:
                return False
        elif type(item) is int:
            if not -(2**63) <= item < 2**64:  # at most 20 digits and a sign
                return False
        elif item is not None and type(item) is not bool:
            return False  # nested: the full walk measures it
    return True


_HEARTBEAT_FIELDS = frozenset(
    {"agentId", "resourceUsage", "activeWorkflows", "currentWorkflow", "at"}
)
_WORKFLOW = STRING_LIMITS["HeartbeatInput.currentWorkflow"]


def plainly_within_heartbeat_limits(beats: Any) -> bool:
    """True when ``heartbeats``'s ``inputs`` (or ``heartbeat``'s ``input`` in a list), as the
    variables hold them, are by one pass within every limit ``input_refusal`` checks: each beat
    an object of HeartbeatInput's fields, strings within their columns, ``resourceUsage`` and
    ``activeWorkflows`` JSON values within MAX_JSON_DEPTH levels and MAX_JSON_CHARACTERS, every
    string and key in them within its length, floats within ±MAX_FLOAT_MAGNITUDE, and no
    refused character in any string or key (one search over all of them). So it holds them to
    domain.values.validate_json's rules too (no NUL, no NaN or Infinity): what passes needs
    neither walk again. False says only that this pass cannot tell: ``input_refusal`` then
    decides, and words it."""
    if type(beats) is not list:
        return False
    texts: list[str] = []
    for beat in beats:
        if type(beat) is not dict or not _HEARTBEAT_FIELDS.issuperset(beat):
            return False
        agent = beat.get("agentId")
        if type(agent) is not str or len(agent) > MAX_STRING_LENGTH:
            return False
        texts.append(agent)
        workflow = beat.get("currentWorkflow")
        if workflow is not None:
            if type(workflow) is not str or len(workflow) > _WORKFLOW:
                return False
            texts.append(workflow)
        at = beat.get("at")
        if at is not None:
            if type(at) is not str or len(at) > MAX_STRING_LENGTH:
                return False
            texts.append(at)
        for name in ("resourceUsage", "activeWorkflows"):
            value = beat.get(name)
            if value is not None and not _plain_json(value, texts):
                return False
    return _BAD_CHARACTERS.search("".join(texts)) is None


def _plain_json(value: Any, texts: list[str]) -> bool:
    """``_check_json``'s rules but the refused characters (its strings and keys are added to
    ``texts``, for the caller's one search); False as soon as one is not met, or the value
    holds what JSON does not."""
    return _plain_node(value, 0, texts) and (_surely_small(value) or _json_size_within(value))


def _json_size_within(value: Any) -> bool:
    """At most MAX_JSON_CHARACTERS as ``json.dumps`` writes it: the exact count."""
    try:
        return len(json.dumps(value, ensure_ascii=False)) <= MAX_JSON_CHARACTERS
    except (TypeError, ValueError):
        return False


def _plain_node(node: Any, depth: int, texts: list[str]) -> bool:
    """``node`` (at ``depth``: the value itself is at 0) and all below it; recursive, as it goes
    at most MAX_JSON_DEPTH + 1 calls deep (a scalar inside a container is taken in place)."""
    kind = type(node)
    if kind is dict:
        if node and depth >= MAX_JSON_DEPTH:  # its entries would be past the limit
            return False
        for key, item in node.items():
            if type(key) is not str or len(key) > MAX_STRING_LENGTH:
                return False
            texts.append(key)
            if type(item) is float:
                if not -MAX_FLOAT_MAGNITUDE <= item <= MAX_FLOAT_MAGNITUDE:  # NaN fails it too
                    return False
            elif not _plain_node(item, depth + 1, texts):
                return False
        return True
    if kind is list:
        if node and depth >= MAX_JSON_DEPTH:
            return False
        return all(_plain_node(item, depth + 1, texts) for item in node)
    if kind is str:
        if len(node) > MAX_JSON_CHARACTERS:
            return False
        texts.append(node)
        return True
    if kind is float:
        return -MAX_FLOAT_MAGNITUDE <= node <= MAX_FLOAT_MAGNITUDE
    return kind is int or kind is bool or node is None


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
