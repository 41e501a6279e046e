"""request_json.nesting against the depth of the value itself: for texts full of what could
fool it (brackets, quotes and runs of backslashes inside strings and keys, escapes of every
kind, both JSON writers' spellings), the nesting is the value's depth (up to the limit
asked)."""

from __future__ import annotations

import json
import random
from typing import Any

import orjson

from gql.request_json import decode, nesting

_TRICKY = ['"', "\\", "[", "]", "{", "}", '\\"', '\\\\"', "\\\\\\", "é", "\n", "\x01", "🚀", "a"]


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_TRICKY) for _ in range(rng.randrange(6)))


def _value(rng: random.Random, room: int) -> Any:
    kind = rng.randrange(5 if room else 3)
    if kind == 0:
        return _text(rng)
    if kind == 1:
        return rng.choice([1, -0.5, True, None])
    if kind == 2:
        return rng.choice(["", "[[[", "]]]", '"]"'])
    if kind == 3:
        return [_value(rng, room - 1) for _ in range(rng.randrange(4))]
    return {_text(rng): _value(rng, room - 1) for _ in range(rng.randrange(4))}


def test_nesting_is_the_depth_of_the_value() -> None:
    rng = random.Random(14)
    for _ in range(3000):
        value = _value(rng, rng.randrange(12))
        for raw in (
            orjson.dumps(value),
            json.dumps(value).encode(),
            json.dumps(value, ensure_ascii=False, indent=1).encode(),
        ):
            assert nesting(raw, 1000) == _depth(value), raw
            assert nesting(raw, 3) == min(_depth(value), 3), raw


def test_many_escapes_are_read_as_few_are() -> None:
    rng = random.Random(15)
    for _ in range(200):
        value = [_text(rng) + "\\" * rng.randrange(300) + '"[' for _ in range(rng.randrange(1, 4))]
        nested = {"v": [value, [[_text(rng)]]]}
        assert nesting(orjson.dumps(nested), 1000) == _depth(nested)


def test_a_deep_text_is_refused_however_its_strings_are_spelled() -> None:
    deep: Any = '\\\\\\"]]]'
    for _ in range(101):
        deep = [deep, "\\"]
    for raw in (orjson.dumps(deep), json.dumps({"v": deep}).encode()):
        assert nesting(raw, 101) == 101
        try:
            decode(raw)
        except json.JSONDecodeError as refused:
            assert "nested too deeply" in str(refused)
        else:
            raise AssertionError("a text nested past 100 levels was taken")
