"""The coarse half of authorization, declared per root field (the fine half is visibility).

Every root field names one of these; which callers pass is decided by ``Viewer.may`` in
domain/access.py. Objects a caller may not see are filtered by the loaders (NOT_FOUND).
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from domain.access import Capability
from domain.errors import Forbidden, Unauthenticated


class _Requires(BasePermission):
    capability: Capability

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer.may(self.capability):
            return True
        if not viewer.is_authenticated:
            raise info.context.auth_error or Unauthenticated()
        if viewer.is_agent:
            raise Forbidden("Agent tokens may not call this field.")
        raise Forbidden("Only superusers may do this.")


class SignedIn(_Requires):
    """Any signed-in user (agent tokens are refused)."""

    capability = Capability.SIGNED_IN


class Superuser(_Requires):
    capability = Capability.SUPERUSER


class AgentRuntime(_Requires):
    """Users and agent tokens; the use case then requires the token's own agent."""

    capability = Capability.AGENT_RUNTIME
