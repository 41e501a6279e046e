"""Step safety rules of SPEC §4: who needs approval, what is unsafe, and why."""

from __future__ import annotations

import dataclasses

import pytest

from domain.safety import (
    APPROVAL_MITIGATION,
    DESTRUCTIVE_TOOLS,
    RiskLevel,
    SafetyLevel,
    StepAssessment,
    assess_step,
    first_step_needing_approval,
    parse_risk_level,
    plan_needs_approval,
)

DESTRUCTIVE_RISK = "DESTRUCTIVE OPERATION - Cannot be undone"
PRODUCTION_RISK = "Operating on production database"

# Does a step of this declared level need approval, per safety level? (SPEC §4)
#                      strict moderate permissive
APPROVAL_MATRIX: dict[RiskLevel, tuple[bool, bool, bool]] = {
    RiskLevel.SAFE: (False, False, False),
    RiskLevel.LOW: (False, False, False),
    RiskLevel.MEDIUM: (True, False, False),
    RiskLevel.HIGH: (True, True, True),
    RiskLevel.CRITICAL: (True, True, True),
}
SAFETY_COLUMNS = (SafetyLevel.STRICT, SafetyLevel.MODERATE, SafetyLevel.PERMISSIVE)


@pytest.mark.parametrize(
    ("level", "safety", "expected"),
    [
        (level, safety, row[column])
        for level, row in APPROVAL_MATRIX.items()
        for column, safety in enumerate(SAFETY_COLUMNS)
    ],
    ids=lambda value: value.name if isinstance(value, RiskLevel | SafetyLevel) else str(value),
)
def test_approval_matrix(level: RiskLevel, safety: SafetyLevel, expected: bool) -> None:
    assessment = assess_step("read_rows", {"table": "users"}, level, safety)
    assert assessment.risk_level is level
    assert assessment.requires_approval is expected
    assert assessment.safe is True
    assert (APPROVAL_MITIGATION in assessment.mitigations) is expected


def test_the_matrix_covers_every_level() -> None:
    assert set(APPROVAL_MATRIX) == set(RiskLevel)


@pytest.mark.parametrize("raw", ["HIGH", "High", "high", " high "])
def test_risk_level_is_case_insensitive(raw: str) -> None:
    assessment = assess_step("read_rows", {}, raw, SafetyLevel.PERMISSIVE)
    assert assessment.risk_level is RiskLevel.HIGH
    assert assessment.requires_approval


def test_levels_carry_the_seeds_risks() -> None:
    assert assess_step("t", {}, "safe", SafetyLevel.MODERATE).risks == ()
    assert assess_step("t", {}, "low", SafetyLevel.MODERATE).risks == (
        "Minor side effects possible",
    )
    critical = assess_step("t", {}, "critical", SafetyLevel.MODERATE)
    assert critical.risks == ("Potentially destructive operation",)
    assert critical.mitigations == ("Backup should be created first", APPROVAL_MITIGATION)


@pytest.mark.parametrize("tool", sorted(DESTRUCTIVE_TOOLS))
@pytest.mark.parametrize("declared", ["safe", "low", "medium", "high", "critical"])
@pytest.mark.parametrize("safety", list(SafetyLevel), ids=lambda s: s.name)
def test_destructive_tools_are_raised_to_critical(
    tool: str, declared: str, safety: SafetyLevel
) -> None:
    assessment = assess_step(tool, {"table": "users"}, declared, safety)
    assert assessment.risk_level is RiskLevel.CRITICAL
    assert assessment.requires_approval
    assert assessment.safe is False
    assert DESTRUCTIVE_RISK in assessment.risks
    assert APPROVAL_MITIGATION in assessment.mitigations


def test_destructive_tool_names_are_matched_case_insensitively() -> None:
    assessment = assess_step("DROP_TABLE", {}, "safe", SafetyLevel.PERMISSIVE)
    assert assessment.risk_level is RiskLevel.CRITICAL
    assert assessment.safe is False


def test_destructive_tool_with_unknown_level_keeps_both_risks() -> None:
    assessment = assess_step("truncate_table", {}, "whatever", SafetyLevel.MODERATE)
    assert assessment.risk_level is RiskLevel.CRITICAL
    assert assessment.requires_approval and not assessment.safe
    assert "Unknown risk level: whatever" in assessment.risks
    assert DESTRUCTIVE_RISK in assessment.risks


@pytest.mark.parametrize(
    "params",
    [
        {"database": "prod"},
        {"database": "production"},
        {"database": "Production"},
        {"db": "PROD_main"},
        {"DB": "eu-prod-1"},
        {"database_name": "my_production_db"},
        {"dbname": "prod"},
        {"DataBase": "reporting_prod"},
        {"connection": {"database": "prod_eu"}},
        {"targets": [{"db": "analytics"}, {"db": "production"}]},
        {"steps": [[{"options": {"dbname": "Prod"}}]]},
        {"database": {"name": "prod"}},
        {"database": ["staging", "prod"]},
    ],
)
def test_production_databases_need_approval(params: dict[str, object]) -> None:
    assessment = assess_step("run_query", params, "safe", SafetyLevel.PERMISSIVE)
    assert assessment.requires_approval
    assert assessment.safe is True
    assert assessment.risk_level is RiskLevel.SAFE
    assert PRODUCTION_RISK in assessment.risks
    assert APPROVAL_MITIGATION in assessment.mitigations


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"database": "analytics"},
        {"db": "staging"},
        {"dbname": "dev"},
        {"database": ""},
        {"database": 5},
        {"database": None},
        {"table": "prod_users"},  # a table, not a database
        {"query": "SELECT * FROM production.users"},
        {"connection": {"host": "prod.example.com", "database": "analytics"}},
    ],
)
def test_other_databases_do_not_need_approval(params: dict[str, object]) -> None:
    assessment = assess_step("run_query", params, "low", SafetyLevel.STRICT)
    assert not assessment.requires_approval
    assert PRODUCTION_RISK not in assessment.risks


def test_deeply_nested_params_do_not_overflow_the_stack() -> None:
    params: dict[str, object] = {"db": "prod"}
    for _ in range(10_000):
        params = {"nested": params}
    assert assess_step("run_query", params, "safe", SafetyLevel.PERMISSIVE).requires_approval


@pytest.mark.parametrize("raw", ["bogus", "", "unknown", "extreme", "none"])
@pytest.mark.parametrize("safety", list(SafetyLevel), ids=lambda s: s.name)
def test_unknown_risk_level_needs_approval_and_is_unsafe(raw: str, safety: SafetyLevel) -> None:
    assessment = assess_step("read_rows", {}, raw, safety)
    assert assessment.risk_level is None
    assert assessment.requires_approval
    assert assessment.safe is False
    assert assessment.risks == (f"Unknown risk level: {raw}",)
    assert assessment.mitigations == ("Manual review required", APPROVAL_MITIGATION)


def test_a_long_unknown_level_is_shortened_in_the_risk() -> None:
    (risk,) = assess_step("t", {}, "x" * 10_000, SafetyLevel.MODERATE).risks
    assert len(risk) < 100


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("critical", RiskLevel.CRITICAL),
        ("Medium", RiskLevel.MEDIUM),
        (RiskLevel.LOW, RiskLevel.LOW),
        ("nope", None),
        ("", None),
    ],
)
def test_parse_risk_level(raw: str | RiskLevel, expected: RiskLevel | None) -> None:
    assert parse_risk_level(raw) is expected


def _step(requires_approval: bool) -> StepAssessment:
    return StepAssessment(RiskLevel.LOW, requires_approval, True, (), ())


@pytest.mark.parametrize(
    ("flags", "start", "expected_first"),
    [
        ([], 0, None),
        ([False, False], 0, None),
        ([False, True, False, True], 0, 1),
        ([False, True, False, True], 1, 1),
        ([False, True, False, True], 2, 3),
        ([False, True, False, True], 4, None),
        ([True], 5, None),
        ([True, False], -3, 0),
    ],
)
def test_plan_helpers(flags: list[bool], start: int, expected_first: int | None) -> None:
    steps = [_step(flag) for flag in flags]
    assert plan_needs_approval(steps) is any(flags)
    assert first_step_needing_approval(steps, start) == expected_first


def test_assessments_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _step(False).requires_approval = True  # type: ignore[misc]


@pytest.mark.parametrize("enum", [RiskLevel, SafetyLevel])
def test_enum_values_are_the_lowercase_names(enum: type[RiskLevel] | type[SafetyLevel]) -> None:
    assert all(member.value == member.name.lower() for member in enum)
