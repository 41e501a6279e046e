"""The ingest fast path: heartbeats and metric points without GraphQL execution."""
