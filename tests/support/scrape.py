"""Read a /metrics page: every sample by name and labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """The page's samples: (sample name, its labels) → value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(page: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when the page has no such sample yet (a counter never touched)."""
    return page.get((name, frozenset(labels.items())), 0.0)
