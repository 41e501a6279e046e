"""Subscription tests run against a real uvicorn server with real WebSocket clients."""

from tests.gql.conftest import World, stranger, world

__all__ = ["World", "stranger", "world"]
