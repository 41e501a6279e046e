"""How responses are written: compact JSON (orjson), the same bytes on every path.

Integers beyond 64 bits (orjson refuses them; JSON values stored before the input limits could
hold one) are written by the standard library instead, in the same compact form.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def encode_json(data: Any) -> bytes:
    """``data`` as compact UTF-8 JSON."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def decode_json(data: str | bytes) -> Any:
    return orjson.loads(data)
