"""Validation of values clients send: config values, versions, slugs, keys, names, credentials.

Every function raises ``ValidationFailed(field, message)`` with the ``field`` its caller passes,
so the GraphQL surface can point at the offending input field.
"""

from __future__ import annotations

import json
import math
import re
from enum import StrEnum

from domain.errors import ValidationFailed


class ConfigValueType(StrEnum):
    """How an AgentConfig's text value is to be read. Values are what the database stores."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    JSON = "json"


# The seeds call floats "number"; SPEC §2 accepts it as input and stores "float".
_VALUE_TYPE_ALIASES = {"number": ConfigValueType.FLOAT}

# [0-9], not \d: \d also matches other scripts' digits, which int() and float() would accept.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}

# The regex suggested by semver.org for SemVer 2.0.0.
_SEMVER = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<buildmetadata>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",
    re.ASCII,
)
# SemVer sets no limit; this one keeps versions indexable and the regex's work bounded.
MAX_SEMVER_LENGTH = 256

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
CONFIG_KEY_PATTERN = r"^[a-z][a-z0-9_.]{0,254}$"
_SLUG = re.compile(SLUG_PATTERN)
_CONFIG_KEY = re.compile(CONFIG_KEY_PATTERN)

MAX_EMAIL_LENGTH = 254
MIN_PASSWORD_LENGTH = 10
# Long enough for any passphrase, short enough that hashing cannot be used to burn CPU.
MAX_PASSWORD_LENGTH = 1024


def parse_value_type(raw: str, field: str = "valueType") -> ConfigValueType:
    """The config value type named by ``raw`` (case-insensitive; ``number`` means ``float``)."""
    name = raw.strip().lower()
    if name in _VALUE_TYPE_ALIASES:
        return _VALUE_TYPE_ALIASES[name]
    try:
        return ConfigValueType(name)
    except ValueError:
        expected = ", ".join(value_type.value for value_type in ConfigValueType)
        raise ValidationFailed(
            field, f"{_shown(raw)} is not a valid value type; expected one of {expected}"
        ) from None


def parse_config_value(
    value: str, value_type: ConfigValueType, field: str = "value", *, sensitive: bool = False
) -> object:
    """The typed value of a config's text ``value``; ``ValidationFailed`` if it does not parse.

    With ``sensitive`` the error message does not repeat the value (errors may be logged).
    """
    shown = "the value" if sensitive else _shown(value)
    if value_type is ConfigValueType.STRING:
        validate_json(value, field)
        return value
    if value_type is ConfigValueType.INTEGER:
        if _INTEGER.fullmatch(value):
            try:
                return int(value)
            except ValueError:  # more digits than Python converts (sys.int_info)
                pass
        raise ValidationFailed(field, f"{shown} is not a valid integer")
    if value_type is ConfigValueType.FLOAT:
        if _DECIMAL.fullmatch(value):
            number = float(value)
            if math.isfinite(number):
                return number
        raise ValidationFailed(field, f"{shown} is not a valid float")
    if value_type is ConfigValueType.BOOLEAN:
        try:
            return _BOOLEANS[value.lower()]
        except KeyError:
            raise ValidationFailed(
                field, f"{shown} is not a valid boolean (use true or false)"
            ) from None
    return _parse_json_text(value, field, shown)


def validate_semver(version: str, field: str = "version") -> str:
    """``version`` if it is a SemVer 2.0.0 version such as ``1.2.3-rc.1+build.5``."""
    if len(version) > MAX_SEMVER_LENGTH or not _SEMVER.fullmatch(version):
        raise ValidationFailed(
            field, f"{_shown(version)} is not a valid semantic version (e.g. 1.2.3)"
        )
    return version


def semver_order(version: str) -> tuple[object, ...]:
    """A sort key giving SemVer precedence (1.9.0 < 1.10.0; 1.0.0-rc.1 < 1.0.0).

    Invalid versions (there should be none stored) sort last, by their text.
    """
    match = _SEMVER.fullmatch(version)
    if match is None:
        return (1, version)
    core = tuple(int(match.group(part)) for part in ("major", "minor", "patch"))
    prerelease = match.group("prerelease")
    if prerelease is None:
        return (0, core, 1, ())
    identifiers = tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in prerelease.split(".")
    )
    return (0, core, 0, identifiers)


def validate_slug(slug: str, field: str = "slug") -> str:
    """``slug`` if it is 2-63 lowercase letters, digits and hyphens, not starting with a hyphen."""
    if not _SLUG.fullmatch(slug):
        raise ValidationFailed(
            field,
            f"{_shown(slug)} is not a valid slug: use 2-63 lowercase letters, digits and hyphens, "
            "starting with a letter or digit",
        )
    return slug


def validate_config_key(key: str, field: str = "key") -> str:
    """``key`` if it is a lowercase letter followed by up to 254 of ``a-z0-9_.``."""
    if not _CONFIG_KEY.fullmatch(key):
        raise ValidationFailed(
            field,
            f"{_shown(key)} is not a valid config key: start with a lowercase letter, then use "
            "lowercase letters, digits, '_' and '.' (at most 255 characters)",
        )
    return key


def validate_name(name: str, field: str = "name", max_length: int = 200) -> str:
    """``name`` stripped of surrounding whitespace; non-empty and at most ``max_length`` long."""
    stripped = name.strip()
    if not stripped:
        raise ValidationFailed(field, "must not be empty")
    if len(stripped) > max_length:
        raise ValidationFailed(field, f"must be at most {max_length} characters")
    if _has_control_character(stripped):
        raise ValidationFailed(field, "must not contain control characters")
    return stripped


def validate_email(email: str, field: str = "email") -> str:
    """``email`` stripped and lowercased, if it looks like an address (a pragmatic check)."""
    address = email.strip().lower()
    local, at, domain = address.partition("@")
    looks_valid = (
        len(address) <= MAX_EMAIL_LENGTH
        and at == "@"
        and "@" not in domain
        and bool(local)
        and "." in domain
        and all(domain.split("."))  # no empty label: "a@.com", "a@b..com", "a@b.com."
        and not any(char.isspace() for char in address)
        and not _has_control_character(address)
    )
    if not looks_valid:
        raise ValidationFailed(field, f"{_shown(email)} is not a valid email address")
    return address


def validate_password(password: str, field: str = "password") -> str:
    """``password`` unchanged, if it is between MIN_ and MAX_PASSWORD_LENGTH characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(field, f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(field, f"must be at most {MAX_PASSWORD_LENGTH} characters")
    return password


def validate_finite(value: float, field: str) -> float:
    """``value`` if it is a finite number (not NaN, not ±Infinity)."""
    if not math.isfinite(value):
        raise ValidationFailed(field, "must be a finite number")
    return value


def validate_non_negative(value: float, field: str) -> float:
    """``value`` if it is finite and at least zero."""
    validate_finite(value, field)
    if value < 0:
        raise ValidationFailed(field, "must not be negative")
    return value


MAX_TEXT_LENGTH = 10_000


def validate_text(
    value: str | None, field: str, *, required: bool = True, max_length: int = MAX_TEXT_LENGTH
) -> str | None:
    """``value`` stripped; VALIDATION_ERROR when required and empty, too long, or holding NUL."""
    text = (value or "").strip()
    if not text:
        if required:
            raise ValidationFailed(field, "must not be empty")
        return None
    if len(text) > max_length:
        raise ValidationFailed(field, f"must be at most {max_length} characters")
    if "\x00" in text:
        raise ValidationFailed(field, "must not contain NUL characters")
    return text


def validate_json(value: object, field: str) -> object:
    """``value`` if PostgreSQL can store it as JSONB: no NUL characters (text and JSONB cannot
    hold U+0000), no NaN or Infinity (JSON has no such numbers)."""
    if type(value) is dict and _plainly_storable(value):
        return value
    pending: list[object] = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            if "\x00" in node:
                raise ValidationFailed(field, "must not contain NUL characters")
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise ValidationFailed(field, "must not contain NaN or Infinity")
        elif isinstance(node, dict):
            pending.extend(node.keys())
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return value


def _plainly_storable(value: dict[object, object]) -> bool:
    """True for an object of plain entries that are plainly storable: text keys and values
    without NUL, finite floats, other scalars (a metric point's tags, a thousand a batch);
    False when an entry needs the full walk (nested, or not plainly storable)."""
    for key, item in value.items():
        if type(key) is not str or "\x00" in key:
            return False
        kind = type(item)
        if kind is str:
            if "\x00" in item:  # type: ignore[operator]
                return False
        elif kind is float:
            if not math.isfinite(item):  # type: ignore[arg-type]
                return False
        elif kind is dict or kind is list:
            return False
    return True


def validate_json_object(value: object, field: str, *, checked: bool = False) -> dict[str, object]:
    """``value`` if it is a JSON object (a ``dict``) PostgreSQL can store. ``checked``: the
    caller has already held every string, key and number in it to rules that include
    validate_json's (no NUL, finite floats), so only its kind is checked."""
    if not isinstance(value, dict):
        raise ValidationFailed(field, "must be a JSON object")
    if not checked:
        validate_json(value, field)
    return value


def validate_json_array(value: object, field: str, *, checked: bool = False) -> list[object]:
    """``value`` if it is a JSON array (a ``list``) PostgreSQL can store (``checked``: as for
    validate_json_object)."""
    if not isinstance(value, list):
        raise ValidationFailed(field, "must be a JSON array")
    if not checked:
        validate_json(value, field)
    return value


def _parse_json_text(text: str, field: str, shown: str) -> object:
    try:
        parsed = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise ValidationFailed(field, f"{shown} is not valid JSON") from None
    validate_json(parsed, field)
    return parsed


def _reject_constant(name: str) -> object:
    # json.loads accepts NaN and Infinity, which are not JSON and which JSONB rejects.
    raise ValueError(f"{name} is not allowed in JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # e.g. 1e999
        raise ValueError(f"{text} is out of range")
    return number


_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f]")


def _has_control_character(text: str) -> bool:
    return _CONTROL_CHARACTER.search(text) is not None


def _shown(value: str, limit: int = 40) -> str:
    # Quote what the client sent, but never echo a huge value back into an error.
    return repr(value if len(value) <= limit else value[:limit] + "…")
