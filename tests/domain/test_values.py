"""Value validation: config values by type, semver, slugs, keys, names, emails, passwords."""

from __future__ import annotations

import math

import pytest

from domain.errors import ValidationFailed
from domain.values import (
    MIN_PASSWORD_LENGTH,
    ConfigValueType,
    parse_config_value,
    parse_value_type,
    validate_config_key,
    validate_email,
    validate_finite,
    validate_json_array,
    validate_json_object,
    validate_name,
    validate_non_negative,
    validate_password,
    validate_semver,
    validate_slug,
)

INTEGER = ConfigValueType.INTEGER
FLOAT = ConfigValueType.FLOAT
BOOLEAN = ConfigValueType.BOOLEAN
JSON = ConfigValueType.JSON
STRING = ConfigValueType.STRING


# --- value types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("string", STRING),
        ("INTEGER", INTEGER),
        ("Float", FLOAT),
        ("number", FLOAT),  # the seeds' name for float
        ("NUMBER", FLOAT),
        ("boolean", BOOLEAN),
        ("json", JSON),
    ],
)
def test_parse_value_type(raw: str, expected: ConfigValueType) -> None:
    assert parse_value_type(raw) is expected


@pytest.mark.parametrize("raw", ["int", "bool", "text", "", "list"])
def test_parse_value_type_rejects(raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_value_type(raw)
    assert caught.value.field == "valueType"
    assert "expected one of string, integer, float, boolean, json" in caught.value.reason


# --- config values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value_type", "text", "expected"),
    [
        (INTEGER, "0", 0),
        (INTEGER, "42", 42),
        (INTEGER, "-7", -7),
        (INTEGER, "+7", 7),
        (INTEGER, "007", 7),
        (INTEGER, "12345678901234567890", 12345678901234567890),
        (FLOAT, "1", 1.0),
        (FLOAT, "-2.5", -2.5),
        (FLOAT, "1e3", 1000.0),
        (FLOAT, "1.5E-2", 0.015),
        (FLOAT, ".5", 0.5),
        (FLOAT, "0", 0.0),
        (BOOLEAN, "true", True),
        (BOOLEAN, "TRUE", True),
        (BOOLEAN, "False", False),
        (BOOLEAN, "1", True),
        (BOOLEAN, "0", False),
        (JSON, '{"a": [1, 2.5, null, true]}', {"a": [1, 2.5, None, True]}),
        (JSON, "[]", []),
        (JSON, '"text"', "text"),
        (JSON, "3", 3),
        (JSON, "null", None),
        (STRING, "", ""),
        (STRING, " anything at all ", " anything at all "),
        (STRING, "abc", "abc"),
    ],
)
def test_config_value_accepts(value_type: ConfigValueType, text: str, expected: object) -> None:
    parsed = parse_config_value(text, value_type)
    assert parsed == expected
    assert type(parsed) is type(expected)


@pytest.mark.parametrize(
    ("value_type", "text"),
    [
        (INTEGER, "abc"),
        (INTEGER, "1.5"),
        (INTEGER, ""),
        (INTEGER, " 1"),
        (INTEGER, "1 "),
        (INTEGER, "1_000"),
        (INTEGER, "0x1f"),
        (INTEGER, "1e3"),
        (INTEGER, "\u0661\u0662"),  # Arabic-Indic digits, which int() would accept
        (INTEGER, "9" * 5000),  # past Python's int/str conversion limit
        (FLOAT, "abc"),
        (FLOAT, ""),
        (FLOAT, "nan"),
        (FLOAT, "NaN"),
        (FLOAT, "inf"),
        (FLOAT, "-Infinity"),
        (FLOAT, "1e999"),
        (FLOAT, "1_000.5"),
        (FLOAT, " 1.5"),
        (FLOAT, "1.2.3"),
        (FLOAT, "e5"),
        (BOOLEAN, "yes"),
        (BOOLEAN, "t"),
        (BOOLEAN, ""),
        (BOOLEAN, " true"),
        (BOOLEAN, "2"),
        (JSON, ""),
        (JSON, "{"),
        (JSON, "{'a': 1}"),
        (JSON, "NaN"),
        (JSON, "[Infinity]"),
        (JSON, '{"x": -Infinity}'),
        (JSON, "[1e999]"),
        (JSON, '{"a": "\\u0000"}'),  # JSONB cannot store NUL
        (JSON, "[" * 100_000),
        (STRING, "nul\x00byte"),  # text columns cannot store NUL
    ],
)
def test_config_value_rejects(value_type: ConfigValueType, text: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_config_value(text, value_type)
    assert caught.value.field == "value"


@pytest.mark.parametrize(
    ("value_type", "message"),
    [
        (INTEGER, "'abc' is not a valid integer"),
        (FLOAT, "'abc' is not a valid float"),
        (BOOLEAN, "'abc' is not a valid boolean (use true or false)"),
        (JSON, "'abc' is not valid JSON"),
    ],
)
def test_config_value_messages_name_the_type(value_type: ConfigValueType, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_config_value("abc", value_type, field="input.value")
    assert caught.value.field == "input.value"
    assert caught.value.reason == message
    assert caught.value.extensions() == {"field": "input.value"}


def test_sensitive_values_are_not_echoed() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_config_value("hunter2-secret", INTEGER, sensitive=True)
    assert "hunter2" not in caught.value.message
    assert caught.value.reason == "the value is not a valid integer"


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_config_value("x" * 10_000, INTEGER)
    assert len(caught.value.message) < 100


# --- semver (examples from semver.org's regex test list) -----------------------------------

VALID_SEMVER = [
    "0.0.4",
    "1.2.3",
    "10.20.30",
    "1.1.2-prerelease+meta",
    "1.1.2+meta",
    "1.1.2+meta-valid",
    "1.0.0-alpha",
    "1.0.0-beta",
    "1.0.0-alpha.beta",
    "1.0.0-alpha.beta.1",
    "1.0.0-alpha.1",
    "1.0.0-alpha0.valid",
    "1.0.0-alpha.0valid",
    "1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay",
    "1.0.0-rc.1+build.1",
    "2.0.0-rc.1+build.123",
    "1.2.3-beta",
    "10.2.3-DEV-SNAPSHOT",
    "1.2.3-SNAPSHOT-123",
    "1.0.0",
    "2.0.0",
    "1.1.7",
    "2.0.0+build.1848",
    "2.0.1-alpha.1227",
    "1.0.0-alpha+beta",
    "1.2.3----RC-SNAPSHOT.12.9.1--.12+788",
    "1.2.3----R-S.12.9.1--.12+meta",
    "1.2.3----RC-SNAPSHOT.12.9.1--.12",
    "1.0.0+0.build.1-rc.10000aaa-kk-0.1",
    "99999999999999999999999.999999999999999999.99999999999999999",
    "1.0.0-0A.is.legal",
]

INVALID_SEMVER = [
    "1",
    "1.2",
    "1.2.3-0123",
    "1.2.3-0123.0123",
    "1.1.2+.123",
    "+invalid",
    "-invalid",
    "-invalid+invalid",
    "-invalid.01",
    "alpha",
    "alpha.beta",
    "alpha.beta.1",
    "alpha.1",
    "alpha+beta",
    "alpha_beta",
    "alpha.",
    "alpha..",
    "beta",
    "1.0.0-alpha_beta",
    "-alpha.",
    "1.0.0-alpha..",
    "1.0.0-alpha..1",
    "1.0.0-alpha...1",
    "1.0.0-alpha....1",
    "1.0.0-alpha.....1",
    "1.0.0-alpha......1",
    "1.0.0-alpha.......1",
    "01.1.1",
    "1.01.1",
    "1.1.01",
    "1.2.3.DEV",
    "1.2-SNAPSHOT",
    "1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788",
    "1.2-RC-SNAPSHOT",
    "-1.0.3-gamma+b7718",
    "+justmeta",
    "9.8.7+meta+meta",
    "9.8.7-whatever+meta+meta",
    "99999999999999999999999.999999999999999999.99999999999999999"
    + "----RC-SNAPSHOT.12.09.1--------------------------------..12",
    # Beyond the list: things a lenient matcher would let through.
    "",
    "v1.2.3",
    "1.2.3\n",
    " 1.2.3",
    "1.2.3-",
    "1.2.3+",
    "\u0661.\u0662.\u0663",  # Arabic-Indic digits
    "1.0.0-" + "a" * 300,
]


@pytest.mark.parametrize("version", VALID_SEMVER)
def test_valid_semver(version: str) -> None:
    assert validate_semver(version) == version


@pytest.mark.parametrize("version", INVALID_SEMVER)
def test_invalid_semver(version: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_semver(version, field="input.version")
    assert caught.value.field == "input.version"


# --- slugs, config keys, names -----------------------------------------------------------


@pytest.mark.parametrize("slug", ["ab", "data-analyst", "0day", "a" * 63, "x-1-y"])
def test_valid_slug(slug: str) -> None:
    assert validate_slug(slug) == slug


@pytest.mark.parametrize(
    "slug", ["", "a", "-ab", "Data", "data_analyst", "data analyst", "a" * 64, "ab\n", "café"]
)
def test_invalid_slug(slug: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_slug(slug)
    assert caught.value.field == "slug"


@pytest.mark.parametrize("key", ["a", "max_tokens", "llm.temperature", "a1.b_2", "a" * 255])
def test_valid_config_key(key: str) -> None:
    assert validate_config_key(key) == key


@pytest.mark.parametrize(
    "key", ["", "1abc", "_a", ".a", "Max", "max-tokens", "a b", "a" * 256, "a\n", "ключ"]
)
def test_invalid_config_key(key: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_config_key(key)
    assert caught.value.field == "key"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Ada", "Ada"), ("  Data Analyst 1  ", "Data Analyst 1"), ("é" * 200, "é" * 200)],
)
def test_valid_name(name: str, expected: str) -> None:
    assert validate_name(name) == expected


@pytest.mark.parametrize("name", ["", "   ", "\t\n", "x" * 201, "bad\x00name", "two\nlines"])
def test_invalid_name(name: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_name(name, field="input.name")
    assert caught.value.field == "input.name"


def test_name_max_length_is_configurable() -> None:
    assert validate_name("abcde", max_length=5) == "abcde"
    with pytest.raises(ValidationFailed, match="at most 4 characters"):
        validate_name("abcde", max_length=4)


# --- emails and passwords ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("ada@example.com", "ada@example.com"),
        ("  Ada.Lovelace@Example.COM ", "ada.lovelace@example.com"),
        ("ops+alerts@mail.example.co.uk", "ops+alerts@mail.example.co.uk"),
    ],
)
def test_valid_email(email: str, expected: str) -> None:
    assert validate_email(email) == expected


@pytest.mark.parametrize(
    "email",
    [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@@example.com",
        "a@b@example.com",
        "ada lovelace@example.com",
        "ada@exa mple.com",
        "ada@.com",
        "ada@example..com",
        "ada@example.com.",
        "ada@example.com\x00",
        "a" * 250 + "@example.com",
    ],
)
def test_invalid_email(email: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_email(email)
    assert caught.value.field == "email"


@pytest.mark.parametrize(
    "password", ["x" * MIN_PASSWORD_LENGTH, "correct horse battery staple", " spaces ok "]
)
def test_valid_password(password: str) -> None:
    assert validate_password(password) == password  # never stripped or altered


@pytest.mark.parametrize("password", ["", "short", "x" * (MIN_PASSWORD_LENGTH - 1), "x" * 5000])
def test_invalid_password(password: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_password(password)
    assert caught.value.field == "password"


# --- numbers and JSON shapes -------------------------------------------------------------


@pytest.mark.parametrize("value", [0.0, -1.5, 1e308, 3])
def test_finite_accepts(value: float) -> None:
    assert validate_finite(value, "value") == value


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_finite_rejects(value: float) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_finite(value, "input.value")
    assert caught.value.field == "input.value"


@pytest.mark.parametrize("value", [0.0, 0, 2.5])
def test_non_negative_accepts(value: float) -> None:
    assert validate_non_negative(value, "cost") == value


@pytest.mark.parametrize("value", [-0.01, -1, math.nan, math.inf, -math.inf])
def test_non_negative_rejects(value: float) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_non_negative(value, "cost")
    assert caught.value.field == "cost"


@pytest.mark.parametrize("value", [{}, {"a": {"b": [1, "two"]}}])
def test_json_object_accepts(value: object) -> None:
    assert validate_json_object(value, "tags") is value


@pytest.mark.parametrize("value", [[], "text", 1, None, {"a": "nul\x00"}, {"nul\x00key": 1}])
def test_json_object_rejects(value: object) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_json_object(value, "input.tags")
    assert caught.value.field == "input.tags"


@pytest.mark.parametrize("value", [[], [1, {"a": None}]])
def test_json_array_accepts(value: object) -> None:
    assert validate_json_array(value, "locks") is value


@pytest.mark.parametrize("value", [{}, "[]", 1, None, ["ok", ["nul\x00"]]])
def test_json_array_rejects(value: object) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_json_array(value, "locks")
    assert caught.value.field == "locks"


@pytest.mark.parametrize("value", [[], "text", 1, None, 1.5, True])
def test_a_checked_json_object_is_still_held_to_its_kind(value: object) -> None:
    # ``checked``: the caller held the contents to stricter rules; the kind is still this one's,
    # refused in the same words.
    for checked in (False, True):
        with pytest.raises(ValidationFailed) as caught:
            validate_json_object(value, "inputs[0].resourceUsage", checked=checked)
        assert (caught.value.field, caught.value.reason) == (
            "inputs[0].resourceUsage",
            "must be a JSON object",
        )


@pytest.mark.parametrize("value", [{}, "[]", 1, None, {"a": [1]}])
def test_a_checked_json_array_is_still_held_to_its_kind(value: object) -> None:
    for checked in (False, True):
        with pytest.raises(ValidationFailed) as caught:
            validate_json_array(value, "input.activeWorkflows", checked=checked)
        assert (caught.value.field, caught.value.reason) == (
            "input.activeWorkflows",
            "must be a JSON array",
        )


def test_semver_order_follows_precedence() -> None:
    from domain.values import semver_order

    versions = ["1.10.0", "1.0.0", "1.0.0-rc.1", "1.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "2.0.0"]
    assert sorted(versions, key=semver_order) == [
        "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-rc.1", "1.0.0", "1.9.0", "1.10.0", "2.0.0",
    ]  # fmt: skip
