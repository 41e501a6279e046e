"""Relay global ids: base64("Type:uuid"). Clients treat them as opaque strings."""

from __future__ import annotations

import base64
import binascii
import functools
import uuid

from domain.errors import ValidationFailed


def to_global_id(type_name: str, ident: uuid.UUID) -> str:
    return base64.b64encode(f"{type_name}:{ident}".encode()).decode()


# Runtimes send the same few ids over and over (their agent's, in every heartbeat): decoding is
# a pure function of the text, so the last ids decoded are remembered (malformed ones are not).
_REMEMBERED_IDS = 65_536


@functools.lru_cache(maxsize=_REMEMBERED_IDS)
def _decoded(global_id: str) -> tuple[str, uuid.UUID]:
    decoded = base64.b64decode(global_id.encode(), validate=True).decode()
    type_name, _, raw = decoded.partition(":")
    return type_name, uuid.UUID(raw)


def split_global_id(global_id: str, field: str = "id") -> tuple[str, uuid.UUID]:
    """(type name, uuid) of a global id; VALIDATION_ERROR naming ``field`` when malformed."""
    try:
        return _decoded(global_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise ValidationFailed(field, f"'{global_id}' is not a valid id") from error


def from_global_id(global_id: str, expected_type: str, field: str = "id") -> uuid.UUID:
    """The uuid inside a global id of ``expected_type``; VALIDATION_ERROR for any other id."""
    type_name, ident = split_global_id(global_id, field)
    if type_name != expected_type:
        raise ValidationFailed(
            field, f"expected an id of a {expected_type}, got one of a {type_name}"
        )
    return ident
