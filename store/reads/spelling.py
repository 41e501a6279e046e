"""How values are spelled in SQL so the JSON PostgreSQL builds holds exactly what the resolvers
return: timestamps as Python's ``isoformat()`` writes them, floats that stay floats, enum names,
global ids and cursors byte for byte as ``gql/ids.py`` and ``gql/pagination.py`` make them."""

from __future__ import annotations

from collections.abc import Sequence

from store.reads.tree import Format

# Python prints microseconds only when there are some, always six of them; UTC is "+00:00".
_ISO_SECONDS = '\'YYYY-MM-DD"T"HH24:MI:SS"+00:00"\''
_ISO_MICROS = '\'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\''


def isoformat(expr: str) -> str:
    """``expr`` (timestamptz) as ``datetime.isoformat()`` spells it in UTC."""
    return (
        f"CASE WHEN date_trunc('second', {expr}) = {expr} "
        f"THEN to_char({expr} AT TIME ZONE 'UTC', {_ISO_SECONDS}) "
        f"ELSE to_char({expr} AT TIME ZONE 'UTC', {_ISO_MICROS}) END"
    )


def json_float(expr: str) -> str:
    """``expr`` as a JSON number that parses back as a float (170 is written 170.0)."""
    text = f"({expr})::float8::text"
    return (
        f"CASE WHEN {text} ~ '^-?[0-9]+$' THEN ({text} || '.0')::json "
        f"ELSE to_json(({expr})::float8) END"
    )


def spelled(expr: str, format: Format) -> str:
    """``expr`` as the JSON value of a field of ``format`` (NULL stays null)."""
    if format is Format.FLOAT:
        return json_float(expr)
    if format is Format.ENUM:
        return f"upper({expr})"
    if format is Format.DATETIME:
        return isoformat(expr)
    return expr


def _base64(text: str) -> str:
    # PostgreSQL wraps base64 at 76 characters; Python does not.
    return f"replace(encode(convert_to({text}, 'UTF8'), 'base64'), E'\\n', '')"


def global_id(type_name: str, id_expr: str) -> str:
    """base64("Type:uuid"), as ``gql.ids.to_global_id``."""
    return _base64(f"'{type_name}:' || ({id_expr})::text")


def metric_uuid(id_expr: str) -> str:
    """A metric point's bigint id as the UUID its global id carries (``uuid.UUID(int=id)``)."""
    return f"lpad(to_hex({id_expr}), 32, '0')::uuid"


def cursor(tag: str, values: Sequence[tuple[str, bool]]) -> str:
    """``gql.pagination.encode_cursor(tag, values)``: base64url (unpadded) of the compact JSON
    array [tag, *values]; each value is (expression, is_number)."""
    parts = [f"'[\"{tag}\"'"]
    for expr, is_number in values:
        parts.append("','")
        parts.append(f"({expr})::text" if is_number else f"to_json(({expr})::text)::text")
    parts.append("']'")
    text = " || ".join(parts)
    return f"rtrim(translate(encode(convert_to({text}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"
