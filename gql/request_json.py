"""JSON as clients send it (HTTP bodies, WebSocket frames): strict, and nested at most 100 deep.

orjson refuses what is not JSON text in UTF-8 (invalid bytes, lone surrogates in escapes) and
stops at 1,024 levels of nesting. Code further in walks values recursively (Python stops near
1,000 frames, orjson writes at most 254 levels), so requests are refused past ``MAX_NESTING``
levels, before anything else looks at them. The nesting is measured in C-speed steps on the raw
text (strings removed, brackets kept), and only when there are enough brackets to matter.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

import orjson

MAX_NESTING = 100

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_STEP = [0] * 256
_STEP[ord("[")], _STEP[ord("]")] = 1, -1


class NotJSON(json.JSONDecodeError):
    """The text is not JSON we accept (a JSONDecodeError, as the Strawberry view expects)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "", 0)
        self.reason = message


def nesting(raw: bytes) -> int:
    """How deep the arrays and objects of a valid JSON text nest."""
    brackets = _STRING.sub(b"", raw).translate(_BRACKETS, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def decode(data: str | bytes) -> object:
    """The value of a client's JSON text; ``NotJSON`` saying why it is refused."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if "depth" in str(error):
            raise NotJSON("The request is nested too deeply.") from None
        # orjson's words name the position, never the content.
        raise NotJSON(f"The request is not valid JSON in UTF-8 ({error}).") from None
    if raw.count(b"[") + raw.count(b"{") > MAX_NESTING and nesting(raw) > MAX_NESTING:
        raise NotJSON(f"The request is nested too deeply (the limit is {MAX_NESTING} levels).")
    return value
