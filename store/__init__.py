"""Every SQL statement: the tables (``models/``), the reads and writes of each aggregate, the
event log and its NOTIFY, the LISTEN connection, keyset pagination, leadership locks.

Returns typed records of ``domain/records`` (``store/rows.py`` is the one place that reads
columns as record fields), never rows; ``domain.clock.NOW`` is written as the database's
``now()``; a database that went away leaves ``Database`` as ``domain.errors.Unavailable``.
The only layer that imports SQLAlchemy and asyncpg (besides the wiring and migrations).
"""
