"""Agentgraph's benchmark harness (`make bench`): figures, never pass/fail."""
