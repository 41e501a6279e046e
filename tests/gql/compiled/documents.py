"""Generated query documents within the compilable part of the graph (gql/compiled/fields.py).

``compilable_schema`` cuts schema.graphql down to the root fields the compiled path plans and,
below them, the fields ``fields.TYPES`` lists (connections, edges and page info whole);
hypothesis-graphql draws queries from it. ``documents`` then dresses each query the way
clients write them: arguments moved into variables, aliases, named and inline fragments,
``@include``/``@skip``, and ``after``/``before`` cursors left as placeholders (``cursor_pool``
fills them with cursors of earlier answers, or malformed ones, when the document is sent).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphql
import hypothesis_graphql
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NamedTypeNode,
    NameNode,
    ObjectTypeDefinitionNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    parse_type,
    value_from_ast_untyped,
)
from hypothesis import strategies as st

from gql.compiled.fields import TYPES

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema.graphql"

# The root fields the planner compiles (gql/compiled/planner.py, _root).
ROOTS = ("project", "projects", "agent", "agents", "agentTypes", "node", "nodes", "me")
_WHOLE = re.compile(r".*(Connection|Edge)$|^PageInfo$")
_CURSOR_ARGUMENTS = frozenset({"after", "before"})
# A placeholder string the runner swaps for a cursor (pool.resolve).
CURSOR = "@cursor:"


def compilable_schema() -> GraphQLSchema:
    """schema.graphql with only the compilable root fields and, below them, the fields
    ``fields.TYPES`` lists; object types outside it are left out (node's fragments too)."""
    document = graphql.parse(SCHEMA_FILE.read_text())
    kept: set[str] = {"Query", *TYPES}
    kept |= {
        d.name.value
        for d in document.definitions
        if isinstance(d, ObjectTypeDefinitionNode) and _WHOLE.match(d.name.value)
    }
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, graphql.SchemaDefinitionNode):
            continue
        if not isinstance(definition, ObjectTypeDefinitionNode):
            definitions.append(definition)
            continue
        name = definition.name.value
        if name not in kept:
            continue
        if name == "Query":
            allowed: Callable[[str], bool] = ROOTS.__contains__
        elif name in TYPES:
            allowed = TYPES[name].fields.__contains__
        else:
            allowed = lambda field_name: True  # noqa: E731
        fields = tuple(f for f in definition.fields or () if allowed(f.name.value))
        definitions.append(_with(definition, fields=fields))
    return graphql.build_ast_schema(DocumentNode(definitions=tuple(definitions)))


def _with(node: Any, **changes: Any) -> Any:
    """A copy of an AST node with some attributes replaced."""
    values = {key: getattr(node, key) for key in node.keys}
    values.update(changes)
    return type(node)(**values)


@dataclass(frozen=True)
class Document:
    """A generated request: its text and variables, cursors still as placeholders."""

    query: str
    variables: dict[str, Any]


def documents(
    schema: GraphQLSchema, ids: Sequence[str], strings: Sequence[str]
) -> st.SearchStrategy[Document]:
    """Queries over ``schema`` whose ID arguments are drawn from ``ids`` and String arguments
    from ``strings``, dressed as clients write them."""
    scalars = {
        "ID": st.sampled_from(list(ids)).map(lambda v: StringValueNode(value=v)),
        "String": st.sampled_from(list(strings)).map(lambda v: StringValueNode(value=v)),
        # Mostly pages that exist, sometimes empty ones, now and then a size the resolvers refuse.
        "Int": st.sampled_from([0, 1, 1, 2, 2, 3, 5, 20, -1, 101]).map(
            lambda v: IntValueNode(value=str(v))
        ),
        "DateTime": st.sampled_from(
            ["2000-01-01T00:00:00+00:00", "2999-01-01T00:00:00Z", "yesterday"]
        ).map(lambda v: StringValueNode(value=v)),
        "JSON": st.sampled_from(['{env: "prod"}', "{}", '"x"', "null"]).map(graphql.parse_value),
    }

    @st.composite
    def dressed(draw: st.DrawFn) -> Document:
        # One or two root fields each time, so every root gets its share of documents.
        roots = draw(st.lists(st.sampled_from(ROOTS), min_size=1, max_size=2, unique=True))
        queries = hypothesis_graphql.queries(
            schema, fields=roots, custom_scalars=scalars, print_ast=lambda node: node
        )
        return _Dresser(schema, draw(queries), draw).document()

    return dressed()


@dataclass
class _Dresser:
    schema: GraphQLSchema
    generated: DocumentNode
    draw: st.DrawFn
    variables: dict[str, Any] = field(default_factory=dict)
    definitions: list[VariableDefinitionNode] = field(default_factory=list)
    fragments: list[FragmentDefinitionNode] = field(default_factory=list)
    _names: int = 0
    _connection: str = ""  # the field whose arguments are being dressed

    def document(self) -> Document:
        (operation,) = self.generated.definitions
        assert isinstance(operation, OperationDefinitionNode)
        query_type = self.schema.query_type
        assert query_type is not None
        selections = self._selections(operation.selection_set, query_type)
        name = self._draw(st.sampled_from([None, "Read"]))
        dressed = OperationDefinitionNode(
            operation=OperationType.QUERY,
            name=NameNode(value=name) if name else None,
            variable_definitions=tuple(self.definitions),
            directives=(),
            selection_set=selections,
        )
        text = graphql.print_ast(DocumentNode(definitions=(dressed, *self.fragments)))
        return Document(text, self.variables)

    def _draw(self, strategy: st.SearchStrategy[Any]) -> Any:
        return self.draw(strategy)

    def _name(self, prefix: str) -> str:
        self._names += 1
        return f"{prefix}{self._names}"

    def _selections(
        self, selection_set: SelectionSetNode, parent: GraphQLCompositeType
    ) -> SelectionSetNode:
        found: list[Any] = []
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                assert selection.type_condition is not None
                on = self.schema.get_type(selection.type_condition.name.value)
                assert isinstance(on, graphql.GraphQLObjectType)
                found.append(
                    self._wrapped(
                        on,
                        list(self._selections(selection.selection_set, on).selections),
                        inline=True,
                    )
                )
                continue
            assert isinstance(selection, FieldNode)
            found.append(self._field(selection, parent))
        if len(found) > 1 and self._draw(st.booleans()):
            # Part of the selection through a fragment on the same type.
            cut = self._draw(st.integers(1, len(found) - 1))
            found = [*found[:cut], self._wrapped(parent, found[cut:])]
        return SelectionSetNode(selections=tuple(found))

    def _wrapped(
        self, on: GraphQLCompositeType, selections: list[Any], *, inline: bool = False
    ) -> Any:
        selection_set = SelectionSetNode(selections=tuple(selections))
        condition = NamedTypeNode(name=NameNode(value=on.name))
        if inline or self._draw(st.booleans()):
            return InlineFragmentNode(
                type_condition=condition, directives=(), selection_set=selection_set
            )
        name = self._name("F")
        self.fragments.append(
            FragmentDefinitionNode(
                name=NameNode(value=name),
                type_condition=condition,
                directives=(),
                selection_set=selection_set,
            )
        )
        return FragmentSpreadNode(name=NameNode(value=name), directives=())

    def _field(self, node: FieldNode, parent: GraphQLCompositeType) -> FieldNode:
        name = node.name.value
        if name == "__typename":
            return node
        assert isinstance(parent, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType)
        definition = parent.fields[name]
        self._connection = name
        arguments = tuple(self._argument(a, definition.args[a.name.value]) for a in node.arguments)
        selection_set = node.selection_set
        if selection_set is not None:
            target = get_named_type(definition.type)
            assert isinstance(target, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType)
            selection_set = self._selections(selection_set, target)
        alias = NameNode(value=self._name("a")) if self._draw(st.booleans()) else None
        directives = self._directives()
        return FieldNode(
            alias=alias,
            name=node.name,
            arguments=arguments,
            directives=directives,
            selection_set=selection_set,
        )

    def _directives(self) -> tuple[DirectiveNode, ...]:
        choice = self._draw(st.sampled_from([None] * 6 + ["include", "skip"]))
        if choice is None:
            return ()
        value: Any
        if self._draw(st.booleans()):
            value = BooleanValueNode(value=self._draw(st.booleans()))
        else:
            value = self._variable("Boolean!", self._draw(st.booleans()))
        condition = ArgumentNode(name=NameNode(value="if"), value=value)
        return (DirectiveNode(name=NameNode(value=choice), arguments=(condition,)),)

    def _argument(self, node: ArgumentNode, definition: graphql.GraphQLArgument) -> ArgumentNode:
        value = node.value
        if node.name.value in _CURSOR_ARGUMENTS and not isinstance(value, graphql.NullValueNode):
            index = self._draw(st.integers(0, 200))
            value = StringValueNode(value=f"{CURSOR}{self._connection}:{index}")
        elif node.name.value == "ids" and isinstance(value, graphql.ListValueNode):
            value = graphql.ListValueNode(values=value.values[:3])
        if self._draw(st.booleans()):
            value = self._variable(str(definition.type), value_from_ast_untyped(value))
        return ArgumentNode(name=node.name, value=value)

    def _variable(self, type_name: str, value: Any) -> VariableNode:
        name = self._name("v")
        self.variables[name] = value
        self.definitions.append(
            VariableDefinitionNode(
                variable=VariableNode(name=NameNode(value=name)),
                type=parse_type(type_name),
                directives=(),
            )
        )
        return VariableNode(name=NameNode(value=name))


def _cursor(*values: Any) -> str:
    """What gql.pagination.encode_cursor would write for these values (ours or not)."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# The tag (gql/cursors.py, gql/types/project.py) of each connection's cursors, by field name.
_TAGS = {
    "projects": "project", "agentTypes": "agent-type", "agents": "agent:", "metrics": "metric",
    "statusHistory": "transition", "executions": "execution", "approvals": "approval",
    "events": "execution-event",
}  # fmt: skip


def _tag_of(cursor: str) -> str:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        return ""
    return str(decoded[0]) if isinstance(decoded, list) and decoded else ""


@dataclass
class CursorPool:
    """Cursors seen in earlier answers (in the order first seen), plus malformed ones."""

    seen: list[str] = field(default_factory=list)

    MALFORMED = (
        "",
        "not-a-cursor",
        _cursor("x"),
        "eyJ4IjoxfQ",  # {"x": 1}
        _cursor(),
        _cursor("agent-type", "a\x00", "00000000-0000-0000-0000-000000000000"),
        _cursor("metric", "2026-01-01T00:00:00+00:00", 2**63),
        _cursor("metric", "2026-01-01T00:00:00", "7"),
        _cursor("transition", -1),
        _cursor("execution-event", 1.5),
        _cursor("project", "0001-01-01T00:00:00+14:00", "00000000-0000-0000-0000-000000000000"),
        _cursor("agent:name:asc", None, "x"),
    )

    def remember(self, answer: Any) -> None:
        if isinstance(answer, dict):
            for key, value in answer.items():
                if key in ("cursor", "startCursor", "endCursor") and isinstance(value, str):
                    if value not in self.seen:
                        self.seen.append(value)
                else:
                    self.remember(value)
        elif isinstance(answer, list):
            for value in answer:
                self.remember(value)

    def cursor(self, connection: str, index: int) -> str:
        """Mostly a cursor seen on a connection of this name's ordering; one in four from any
        connection, one in four malformed."""
        if index % 4 == 3 or not self.seen:
            return self.MALFORMED[index % len(self.MALFORMED)]
        tag = _TAGS.get(connection, "")
        fitting = [c for c in self.seen if _tag_of(c).startswith(tag)] if index % 4 < 2 else []
        candidates = fitting or self.seen
        return candidates[index % len(candidates)]

    def resolve(self, document: Document) -> tuple[str, dict[str, Any]]:
        """The document's text and variables with every placeholder swapped for a cursor."""
        pattern = re.compile(re.escape(CURSOR) + r"(\w+):(\d+)")

        def swap(value: Any) -> Any:
            if isinstance(value, str):
                return pattern.sub(lambda m: self.cursor(m.group(1), int(m.group(2))), value)
            if isinstance(value, dict):
                return {k: swap(v) for k, v in value.items()}
            if isinstance(value, list):
                return [swap(v) for v in value]
            return value

        return swap(document.query), swap(document.variables)
