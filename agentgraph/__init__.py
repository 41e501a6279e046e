"""The wiring, at the top of the stack: settings, the app factory (``bootstrap``), the CLI, the
embedded PostgreSQL, the migrations runner, the demo fleet and the Redis relay.

The only package that may import every other: it builds the database, the event hub and the
``Services`` they make up, and hands them to the GraphQL surface. Nothing imports it back.
"""
