"""From a validated operation to the selection tree the store compiles, or None.

Fields are collected the way graphql-core's executor collects them (fragments, inline
fragments, @skip/@include, response keys and their order), and arguments are coerced by
graphql-core too, so the tree asks for exactly what execution would resolve. Anything outside
``fields.TYPES`` — a field, an argument the resolvers would refuse, a caller the permission
classes would refuse — makes the whole operation not compilable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationType,
    get_named_type,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.executor import Executor
from graphql.execution.values import VariableValues, get_argument_values
from strawberry.types.arguments import convert_arguments

from domain.access import Viewer
from domain.bounds import MAX_NODES_PER_CALL
from domain.errors import DomainError
from gql import cursors
from gql.compiled.fields import NODE_TYPES, TYPES, Attr, Id, Rel, keyset_of
from gql.config import SurfaceConfig
from gql.ids import from_global_id, split_global_id
from store.reads import tree

MAX_NODES = MAX_NODES_PER_CALL

_SCALAR_FORMATS = {
    "String": tree.Format.TEXT,
    "ID": tree.Format.TEXT,
    "Int": tree.Format.INT,
    "Float": tree.Format.FLOAT,
    "Boolean": tree.Format.BOOL,
    "DateTime": tree.Format.DATETIME,
    "JSON": tree.Format.JSON,
}


class NotCompilable(Exception):
    """This operation takes the reference path."""


@dataclass(frozen=True)
class Root:
    """One root field: a constant, one item, or a list of items (``nodes``)."""

    key: str
    constant: str | None = None
    item: tree.Item | None = None
    items: tuple[tree.Item, ...] | None = None


@dataclass(frozen=True)
class Plan:
    roots: tuple[Root, ...]

    def items(self) -> list[tree.Item]:
        """Every item the statement selects, in the order of its columns."""
        found: list[tree.Item] = []
        for root in self.roots:
            if root.item is not None:
                found.append(root.item)
            elif root.items is not None:
                found.extend(root.items)
        return found


def plan_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    viewer: Viewer,
    config: SurfaceConfig,
) -> Plan | None:
    """The plan of a query operation in the compilable part of the graph, else None."""
    executor = Executor.build(schema, document, None, None, dict(variables or {}), operation_name)
    if isinstance(executor, list) or executor.operation.operation is not OperationType.QUERY:
        return None
    walk = _Walk(schema, executor.fragments, executor.variable_values, executor, viewer, config)
    try:
        return walk.plan()
    except (NotCompilable, DomainError):
        return None


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDetails],
        variables: VariableValues,
        executor: Executor,
        viewer: Viewer,
        config: SurfaceConfig,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.operation = executor.operation
        self.viewer = viewer
        self.config = config

    def plan(self) -> Plan:
        query = self.schema.query_type
        assert query is not None
        collected = collect_fields(
            self.schema, self.fragments, self.variables, query, self.operation
        )
        if collected.new_defer_usages:
            raise NotCompilable("@defer")
        roots = [self._root(key, details) for key, details in collected.grouped_field_set.items()]
        return Plan(tuple(roots))

    # --- the root fields ----------------------------------------------------------------------

    def _root(self, key: str, details: FieldDetailsList) -> Root:
        name = details[0].node.name.value
        if name == "__typename":
            return Root(key, constant="Query")
        query = self.schema.query_type
        assert query is not None
        definition = query.fields.get(name)
        if definition is None:
            raise NotCompilable(name)
        self._permitted(definition)
        args = self._arguments(definition, details)
        if name in ("project", "agent"):
            type_name = "Project" if name == "project" else "Agent"
            pk = from_global_id(args["id"], type_name)
            return Root(key, item=self._one(key, name, {"id": pk}, type_name, details))
        if name == "me":
            if not self.viewer.is_user:
                raise NotCompilable("me without a user")
            return Root(key, item=self._one(key, "me", {}, "User", details))
        if name == "node":
            return Root(key, item=self._node(key, args["id"], details))
        if name == "nodes":
            ids = args["ids"]
            if len(ids) > MAX_NODES:
                raise NotCompilable("too many ids")
            return Root(
                key, items=tuple(self._node(f"{key}.{i}", ident, details) for i, ident in enumerate(ids))
            )  # fmt: skip
        return Root(key, item=self._root_page(key, name, definition, args, details))

    def _arguments(self, definition: GraphQLField, details: FieldDetailsList) -> dict[str, Any]:
        """The keyword arguments the field's resolver would be called with (Python names,
        input objects as their classes), coerced by graphql-core and converted by Strawberry."""
        coerced = get_argument_values(definition, details[0].node, self.variables)
        strawberry_field = definition.extensions["strawberry-definition"]
        strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
        return convert_arguments(
            coerced,
            strawberry_field.arguments,
            scalar_registry=strawberry_schema.schema_converter.scalar_registry,
            config=strawberry_schema.config,
        )

    def _permitted(self, definition: GraphQLField) -> None:
        strawberry_field = definition.extensions.get("strawberry-definition")
        for permission in getattr(strawberry_field, "permission_classes", ()):
            capability = getattr(permission, "capability", None)
            if capability is None or not self.viewer.may(capability):
                raise NotCompilable("a permission the caller lacks")

    def _node(self, key: str, global_id: str, details: FieldDetailsList) -> tree.Item:
        type_name, pk = split_global_id(global_id)
        if type_name not in NODE_TYPES:
            raise NotCompilable(f"node of {type_name}")
        ident: Any = pk
        if type_name == "AgentMetric":
            ident = pk.int
            if ident >= 2**63:
                raise NotCompilable("metric id out of range")
        return self._one(key, f"node:{type_name}", {"id": ident}, type_name, details)

    def _root_page(
        self, key: str, name: str, definition: GraphQLField, args: dict[str, Any],
        details: FieldDetailsList,
    ) -> tree.Item:  # fmt: skip
        if name == "projects":
            keyset, tag, store_args = self._page(args, cursors.PROJECTS), cursors.PROJECTS.tag, {}
        elif name == "agentTypes":
            keyset, tag = self._page(args, cursors.AGENT_TYPES), cursors.AGENT_TYPES.tag
            store_args = {"active_only": args.get("active_only") is not False}
        elif name == "agents":
            paging = TYPES["Project"].fields["agents"]
            assert isinstance(paging, Rel) and paging.paging is not None
            keyset, tag, store_args = paging.paging.page(args, self.config)
            if args.get("project_id") is not None:
                store_args["project_id"] = from_global_id(
                    args["project_id"], "Project", "projectId"
                )
        else:
            raise NotCompilable(name)
        connection = get_named_type(definition.type)
        assert isinstance(connection, GraphQLObjectType)
        return self._paged(key, name_of(name), keyset, tag, store_args, connection, details)

    def _page(self, args: dict[str, Any], kind: cursors.Cursors) -> Any:
        return keyset_of(args, kind, self.config)

    # --- objects ------------------------------------------------------------------------------

    def _one(
        self, key: str, relation: str, args: dict[str, Any], type_name: str,
        details: FieldDetailsList,
    ) -> tree.One:  # fmt: skip
        return tree.One(key, relation, self._object(type_name, details), args)

    def _object(self, type_name: str, details: FieldDetailsList) -> tuple[tree.Item, ...]:
        spec = TYPES.get(type_name)
        object_type = self.schema.get_type(type_name)
        if spec is None or not isinstance(object_type, GraphQLObjectType):
            raise NotCompilable(type_name)
        collected = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, object_type, details
        )
        items: list[tree.Item] = []
        for key, sub in collected.grouped_field_set.items():
            name = sub[0].node.name.value
            if name == "__typename":
                items.append(tree.Constant(key, type_name))
                continue
            field_spec = spec.fields.get(name)
            definition = object_type.fields.get(name)
            if field_spec is None or definition is None:
                raise NotCompilable(f"{type_name}.{name}")
            items.append(self._field(key, field_spec, definition, sub))
        return tuple(items)

    def _field(
        self, key: str, spec: Any, definition: GraphQLField, details: FieldDetailsList
    ) -> tree.Item:
        if isinstance(spec, Id):
            return tree.GlobalId(key, spec.type_name)
        if isinstance(spec, Attr):
            python_name = definition.extensions["strawberry-definition"].python_name
            return tree.Value(key, spec.attribute or python_name, _format(definition))
        assert isinstance(spec, Rel)
        if spec.refused(self.viewer):
            raise NotCompilable("the resolver refuses this caller here")
        args = self._arguments(definition, details)
        target = get_named_type(definition.type)
        assert isinstance(target, GraphQLObjectType)
        if spec.kind == "one":
            return tree.One(key, spec.relation, self._object(target.name, details), spec.args(args))
        if spec.kind == "many":
            return tree.Many(
                key, spec.relation, self._object(target.name, details), spec.args(args)
            )
        assert spec.paging is not None
        keyset, tag, store_args = spec.paging.page(args, self.config)
        return self._paged(key, spec.relation, keyset, tag, store_args, target, details)

    # --- connections --------------------------------------------------------------------------

    def _paged(
        self, key: str, relation: str, keyset: Any, tag: str, store_args: dict[str, Any],
        connection: GraphQLObjectType, details: FieldDetailsList,
    ) -> tree.Paged:  # fmt: skip
        collected = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, connection, details
        )
        parts: list[tree.PageItem] = []
        for part_key, sub in collected.grouped_field_set.items():
            name = sub[0].node.name.value
            if name == "__typename":
                parts.append(tree.Constant(part_key, connection.name))
            elif name == "totalCount":
                parts.append(tree.TotalCount(part_key))
            elif name == "pageInfo":
                parts.append(tree.PageInfo(part_key, self._page_info(connection, sub)))
            elif name == "edges":
                parts.append(tree.Edges(part_key, self._edges(connection, sub)))
            else:
                raise NotCompilable(f"{connection.name}.{name}")
        return tree.Paged(key, relation, keyset, tag, tuple(parts), store_args)

    def _page_info(
        self, connection: GraphQLObjectType, details: FieldDetailsList
    ) -> tuple[tree.PagePosition | tree.Constant, ...]:
        info_type = get_named_type(connection.fields["pageInfo"].type)
        assert isinstance(info_type, GraphQLObjectType)
        collected = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, info_type, details
        )
        found: list[tree.PagePosition | tree.Constant] = []
        for key, sub in collected.grouped_field_set.items():
            name = sub[0].node.name.value
            if name == "__typename":
                found.append(tree.Constant(key, info_type.name))
            else:
                found.append(tree.PagePosition(key, tree.Position(_POSITIONS[name])))
        return tuple(found)

    def _edges(
        self, connection: GraphQLObjectType, details: FieldDetailsList
    ) -> tuple[tree.EdgeCursor | tree.EdgeNode | tree.Constant, ...]:
        edge_type = get_named_type(connection.fields["edges"].type)
        assert isinstance(edge_type, GraphQLObjectType)
        collected = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, edge_type, details
        )
        found: list[tree.EdgeCursor | tree.EdgeNode | tree.Constant] = []
        for key, sub in collected.grouped_field_set.items():
            name = sub[0].node.name.value
            if name == "__typename":
                found.append(tree.Constant(key, edge_type.name))
            elif name == "cursor":
                found.append(tree.EdgeCursor(key))
            else:
                node_type = get_named_type(edge_type.fields["node"].type)
                found.append(tree.EdgeNode(key, self._object(node_type.name, sub)))
        return tuple(found)


_POSITIONS = {
    "hasNextPage": "has_next",
    "hasPreviousPage": "has_previous",
    "startCursor": "start_cursor",
    "endCursor": "end_cursor",
}


def name_of(root_field: str) -> str:
    """The store's relation behind a root connection."""
    return {"projects": "projects", "agentTypes": "agent_types", "agents": "agents"}[root_field]


def _format(definition: GraphQLField) -> tree.Format:
    field_type = definition.type
    if isinstance(field_type, GraphQLNonNull):
        field_type = field_type.of_type
    if isinstance(field_type, GraphQLList):
        item = get_named_type(field_type)
        if item.name == "String":
            return tree.Format.TEXT_LIST
        raise NotCompilable(f"a list of {item.name}")
    named = get_named_type(field_type)
    if isinstance(named, GraphQLEnumType):
        return tree.Format.ENUM
    try:
        return _SCALAR_FORMATS[named.name]
    except KeyError:
        raise NotCompilable(f"scalar {named.name}") from None
