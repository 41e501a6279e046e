"""Step safety rules (SPEC §4): which planned steps need a human's approval, and why."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class RiskLevel(StrEnum):
    """The risk an agent declares for a planned step. Values are what the database stores."""

    SAFE = "safe"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class SafetyLevel(StrEnum):
    """How cautious an agent is configured to be."""

    STRICT = "strict"
    MODERATE = "moderate"
    PERMISSIVE = "permissive"


@dataclass(frozen=True)
class StepAssessment:
    """The domain's decision about one planned step."""

    risk_level: RiskLevel | None  # None: the agent declared a level we do not know
    requires_approval: bool
    safe: bool
    risks: tuple[str, ...]
    mitigations: tuple[str, ...]


DESTRUCTIVE_TOOLS = frozenset({"drop_table", "truncate_table", "delete_database"})

# Param keys (compared lowercased) whose values name a database.
_DATABASE_KEYS = frozenset({"database", "db", "database_name", "dbname"})
# "production" contains "prod"; both are listed because that is how SPEC §4 states the rule.
_PRODUCTION_MARKERS = ("prod", "production")

_ALWAYS_NEED_APPROVAL = frozenset({RiskLevel.HIGH, RiskLevel.CRITICAL})

# What the declared level itself implies (wording from seeds/003's validate_safety).
_LEVEL_RISKS: Mapping[RiskLevel, tuple[str, ...]] = {
    RiskLevel.SAFE: (),
    RiskLevel.LOW: ("Minor side effects possible",),
    RiskLevel.MEDIUM: ("Moderate data modification",),
    RiskLevel.HIGH: ("Potentially destructive operation",),
    RiskLevel.CRITICAL: ("Potentially destructive operation",),
}
_LEVEL_MITIGATIONS: Mapping[RiskLevel, tuple[str, ...]] = {
    RiskLevel.HIGH: ("Backup should be created first",),
    RiskLevel.CRITICAL: ("Backup should be created first",),
}

APPROVAL_MITIGATION = "Human approval required before this step runs"


def parse_risk_level(raw: str | RiskLevel) -> RiskLevel | None:
    """The risk level named by ``raw`` (case-insensitive), or ``None`` when it names none."""
    if isinstance(raw, RiskLevel):
        return raw
    try:
        return RiskLevel(raw.strip().lower())
    except ValueError:
        return None


def assess_step(
    tool: str,
    params: Mapping[str, object],
    risk_level: str | RiskLevel,
    safety_level: SafetyLevel,
) -> StepAssessment:
    """Decide whether a planned step needs approval, whether it is safe, and its risks.

    ``critical``/``high`` always need approval, ``medium`` only under ``strict``; destructive
    tools are raised to ``critical``; a production database in ``params`` needs approval; an
    unknown ``risk_level`` needs approval and is unsafe.
    """
    declared = parse_risk_level(risk_level)
    destructive = tool.strip().lower() in DESTRUCTIVE_TOOLS
    # The tool name wins over whatever the agent declared, even an unknown level.
    level = RiskLevel.CRITICAL if destructive else declared
    risks: list[str] = []
    mitigations: list[str] = []

    if declared is None:
        risks.append(f"Unknown risk level: {_shorten(str(risk_level))}")
        mitigations.append("Manual review required")
    if level is not None:
        risks.extend(_LEVEL_RISKS[level])
        mitigations.extend(_LEVEL_MITIGATIONS.get(level, ()))
    if destructive:
        risks.append("DESTRUCTIVE OPERATION - Cannot be undone")

    requires_approval = (
        declared is None
        or level in _ALWAYS_NEED_APPROVAL
        or (level is RiskLevel.MEDIUM and safety_level is SafetyLevel.STRICT)
    )

    if _names_production_database(params):
        risks.append("Operating on production database")
        requires_approval = True

    if requires_approval:
        mitigations.append(APPROVAL_MITIGATION)
    return StepAssessment(
        risk_level=level,
        requires_approval=requires_approval,
        safe=declared is not None and not destructive,
        risks=tuple(risks),
        mitigations=tuple(mitigations),
    )


def plan_needs_approval(assessments: Iterable[StepAssessment]) -> bool:
    """Whether any step of a plan needs approval."""
    return any(assessment.requires_approval for assessment in assessments)


def first_step_needing_approval(
    assessments: Sequence[StepAssessment], start: int = 0
) -> int | None:
    """Index of the first step at or after ``start`` that needs approval, or ``None``."""
    for index in range(max(start, 0), len(assessments)):
        if assessments[index].requires_approval:
            return index
    return None


def _names_production_database(params: Mapping[str, object]) -> bool:
    # Iterative, not recursive: params are client JSON and may be nested arbitrarily deep.
    pending: list[object] = [params]
    while pending:
        node = pending.pop()
        if isinstance(node, Mapping):
            for key, value in node.items():
                names_database = isinstance(key, str) and key.lower() in _DATABASE_KEYS
                if names_database and any(map(_is_production_name, _strings_in(value))):
                    return True
                pending.append(value)
        elif isinstance(node, list | tuple):
            pending.extend(node)
    return False


def _strings_in(value: object) -> list[str]:
    # A database key may hold a name or a structure (e.g. {"database": {"name": "prod"}});
    # every string under it counts as naming the database.
    found: list[str] = []
    pending: list[object] = [value]
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, Mapping):
            pending.extend(node.values())
        elif isinstance(node, list | tuple):
            pending.extend(node)
    return found


def _is_production_name(name: str) -> bool:
    lowered = name.lower()
    return any(marker in lowered for marker in _PRODUCTION_MARKERS)


def _shorten(text: str, limit: int = 50) -> str:
    # The level comes from the client and ends up stored in the step's risks.
    return text if len(text) <= limit else text[: limit - 1] + "…"
