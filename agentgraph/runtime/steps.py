"""The pieces of an execution as the runtime sees them: planned steps going up, steps and
checkpoints coming back."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

RISK_LEVELS = ("SAFE", "LOW", "MEDIUM", "HIGH", "CRITICAL")
# Steps that are over: the plan moves past them.
DONE_STATUSES = ("SUCCEEDED", "SKIPPED")
_STEP_CHECKPOINT = re.compile(r"^step_(\d+)_completed$")


@dataclass(frozen=True)
class PlanStep:
    """One step of a plan: the tool to call, its parameters, why, and the declared risk
    (``safe``, ``low``, ``medium``, ``high`` or ``critical``). The server's safety rules may
    raise the risk and decide whether a person must approve the step first."""

    tool: str
    params: Mapping[str, Any] = field(default_factory=dict)
    rationale: str | None = None
    risk: str = "safe"

    def as_input(self) -> dict[str, Any]:
        risk = self.risk.upper()
        if risk not in RISK_LEVELS:
            raise ValueError(f"risk must be one of {', '.join(RISK_LEVELS)} (not {self.risk!r})")
        step: dict[str, Any] = {"tool": self.tool, "params": dict(self.params), "riskLevel": risk}
        if self.rationale is not None:
            step["rationale"] = self.rationale
        return step


@dataclass(frozen=True)
class Step:
    """A step of the submitted plan with the server's assessment and where it is."""

    index: int
    tool: str
    params: dict[str, Any]
    rationale: str | None
    risk_level: str
    requires_approval: bool
    safe: bool
    risks: list[str]
    mitigations: list[str]
    status: str
    attempts: int
    result: Any
    error: str | None
    approval_id: str | None
    approval_status: str | None

    @property
    def awaiting_approval(self) -> bool:
        return self.status == "AWAITING_APPROVAL"

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Step:
        approval = data.get("approval") or {}
        return cls(
            index=int(data["index"]),
            tool=str(data["tool"]),
            params=dict(data.get("params") or {}),
            rationale=data.get("rationale"),
            risk_level=str(data["riskLevel"]),
            requires_approval=bool(data["requiresApproval"]),
            safe=bool(data["safe"]),
            risks=list(data.get("risks") or []),
            mitigations=list(data.get("mitigations") or []),
            status=str(data["status"]),
            attempts=int(data.get("attempts") or 0),
            result=data.get("result"),
            error=data.get("error"),
            approval_id=approval.get("id"),
            approval_status=approval.get("status"),
        )


@dataclass(frozen=True)
class Checkpoint:
    """A named snapshot of an execution: ``plan_created``, ``step_<i>_completed`` (data
    ``{"result": …}``, saved by the server with each success), or one the agent saved."""

    name: str
    data: dict[str, Any]
    created_at: str | None

    @property
    def completed_step(self) -> int | None:
        """For ``step_<i>_completed``: ``i``."""
        match = _STEP_CHECKPOINT.match(self.name)
        return int(match.group(1)) if match else None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checkpoint:
        return cls(
            name=str(data["name"]),
            data=dict(data.get("data") or {}),
            created_at=data.get("createdAt"),
        )
