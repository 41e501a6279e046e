"""The GraphQL surface: the schema, its types (``types/``, one module per aggregate), resolvers
(``resolvers/``: queries and mutations), subscriptions, per-request dataloaders, the request's
context, permissions, query limits and the error policy.

Thin: parse → authorize → call a use case (writes) or a loader (reads) → show the records it
gets back (``from_record``). Imports ``usecases/``, ``store/`` and ``domain/``; only this
package (and the wiring) imports Strawberry and graphql-core.
"""
