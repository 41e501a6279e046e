"""How values are spelled in SQL so the JSON PostgreSQL builds holds exactly what the resolvers
return: timestamps as Python's ``isoformat()`` writes them, floats that stay floats, enum names,
global ids and cursors byte for byte as ``gql/ids.py`` and ``gql/pagination.py`` make them."""

from __future__ import annotations

from collections.abc import Sequence

from store.reads.tree import Format


def isoformat(expr: str) -> str:
    """``expr`` (timestamptz) as ``datetime.isoformat()`` spells it in UTC.

    PostgreSQL writes a timestamp (DateStyle ISO, which every connection sets) as
    ``2026-11-22 10:15:00.5``, trimming the fraction; Python writes ``2026-11-22T10:15:00.500000``,
    and no fraction at all when there are no microseconds.
    """
    text = f"replace(({expr} AT TIME ZONE 'UTC')::text, ' ', 'T')"
    return f"(CASE WHEN length({text}) > 19 THEN rpad({text}, 26, '0') ELSE {text} END || '+00:00')"


def json_float(expr: str) -> str:
    """``expr`` as a JSON number that parses back as a float (170 is written 170.0; PostgreSQL
    writes whole numbers from 1e15 up with an exponent already). Negative zero stays -0.0, as
    Python writes it: numeric has no negative zero, but float8's text keeps the sign."""
    number = f"({expr})::float8"
    return (
        f"CASE WHEN {number}::text = '-0' THEN '-0.0'::json "
        f"WHEN {number} = trunc({number}) AND abs({number}) < 1e15 "
        f"THEN ({number}::numeric::text || '.0')::json ELSE to_json({number}) END"
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


# base64 writes 76 characters a line: 57 bytes of input fit on one.
_ONE_LINE = 57


def global_id(type_name: str, id_expr: str) -> str:
    """base64("Type:uuid"), as ``gql.ids.to_global_id``."""
    text = f"'{type_name}:' || ({id_expr})::text"
    if len(type_name) + 1 + 36 <= _ONE_LINE:  # ASCII, one line: no conversion, no wrapping
        return f"encode(({text})::bytea, 'base64')"
    return _base64(text)


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
