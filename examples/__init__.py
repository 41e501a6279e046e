"""Agents written against the runtime SDK (agentgraph.runtime), as references for users."""
