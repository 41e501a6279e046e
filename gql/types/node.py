"""The Relay Node interface: every object with a global id can be refetched with node(id)."""

from __future__ import annotations

import strawberry


@strawberry.interface(description="An object with a globally unique id (refetch it with node).")
class Node:
    id: strawberry.ID = strawberry.field(description="Global id; opaque to clients.")
