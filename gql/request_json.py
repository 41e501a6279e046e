"""JSON as clients send it (HTTP bodies, WebSocket frames): strict, and nested at most 100 deep.

orjson refuses what is not JSON text in UTF-8 (invalid bytes, lone surrogates in escapes) and
stops at 1,024 levels of nesting. Code further in walks values recursively (Python stops near
1,000 frames, orjson writes at most 254 levels), so requests are refused past ``MAX_NESTING``
levels, before anything else looks at them. The nesting is measured in C-speed steps on the raw
text (strings removed, brackets kept), and only when there are enough brackets to matter.
"""

from __future__ import annotations

import json

import orjson

MAX_NESTING = 100

_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NEITHER_BRACKETS_NOR_QUOTES = bytes(sorted(set(range(256)) - set(b'[]{}"')))
_FEW_BACKSLASHES = 256  # past these, two replacements over the bytes beat a loop over pieces


class NotJSON(json.JSONDecodeError):
    """The text is not JSON we accept (a JSONDecodeError, as the Strawberry view expects)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "", 0)
        self.reason = message


def nesting(raw: bytes, limit: int) -> int:
    """How deep the arrays and objects of a valid JSON text nest, counted up to ``limit``.

    Brackets inside strings do not count. The steps are a few passes of C over the bytes (a
    regular expression over every string and a running sum over every bracket took most of
    the time of a 1,000-point metric batch); tests/gql/test_request_json.py holds them to the
    depth of the value itself."""
    kept = _outside_escapes(raw).translate(_BRACKETS, _NEITHER_BRACKETS_NOR_QUOTES)
    # Quotes alternate, opening and closing strings, so a bracket is outside strings exactly
    # when an even number of quotes precede it. Dropping each "" keeps that parity (it leaves
    # each run of quotes between brackets as one quote or none); every other piece between the
    # few quotes left is then outside strings.
    brackets = kept.replace(b'""', b"")
    if b'"' in brackets:
        brackets = b"".join(brackets.split(b'"')[::2])
    depth = 0
    while brackets and depth < limit:  # each pass drops every innermost pair: one level
        brackets = brackets.replace(b"[]", b"")
        depth += 1
    return depth


def _outside_escapes(raw: bytes) -> bytes:
    """``raw`` without the byte each backslash escapes (a backslash occurs only in strings,
    escaping the byte after it, left to right), so that every quote left opens or closes a
    string."""
    backslashes = raw.count(b"\\")
    if not backslashes:
        return raw
    if backslashes > _FEW_BACKSLASHES:  # the pairs \\ first, then the escaped quotes
        return raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Few (a client's JSON has often none, or a document's newlines): split at them.
    pieces = raw.split(b"\\")
    kept = [pieces[0]]
    at = 1
    while at < len(pieces):
        if pieces[at]:  # escapes the piece's first byte
            kept.append(pieces[at][1:])
            at += 1
        else:  # escapes the next backslash: the piece after that one is whole
            kept.append(pieces[at + 1] if at + 1 < len(pieces) else b"")
            at += 2
    return b"".join(kept)


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
    if (
        raw.count(b"[") + raw.count(b"{") > MAX_NESTING
        and nesting(raw, MAX_NESTING + 1) > MAX_NESTING
    ):
        raise NotJSON(f"The request is nested too deeply (the limit is {MAX_NESTING} levels).")
    return value
