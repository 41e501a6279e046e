"""The use cases: one transaction each (spawn, pause, start an execution, submit a plan,
approve …): validate, lock, apply the pure rules of ``domain/``, write through ``store/``,
append the events last. Also the credentials (``credentials/``), the live event hub
(``live/``), the sweeper and ``Services``, what a running server holds below its surface.

No GraphQL and no SQL here: use cases take and return ``domain.records`` and hold a store
connection (``store.database.DatabaseConnection``) only to hand it back to store functions.
"""
