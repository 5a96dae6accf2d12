"""The zero-shot router on the frozen blind set (issue 10): a floor under the measured figures,
so a change that makes real-style messages route worse is caught. The set is never tuned on."""

from __future__ import annotations

from bench.blind import measure
from nlp.router import Router

# Measured 2026-11-28 (README, "The router"); floors a little under, never raised to fit.
FLOORS = {"unit": 0.78, "category": 0.82, "subcategory": 0.73}


def test_router_accuracy_on_the_blind_set_holds(router: Router) -> None:
    """Unit, category and sub-category accuracy on the 700 blind messages stay above floors,
    and below the two labellers' agreement (the ceiling)."""
    figures = measure(router, threshold=0.45)
    assert figures.rows == 700 and figures.agreed_rows == 200
    for field, floor in FLOORS.items():
        assert floor <= figures.accuracy[field] <= figures.agreement[field], field
