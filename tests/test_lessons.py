"""The lessons' claims (lessons/steps.py): docs/teaching.md is written from them, every run
they need opens a page that exists with values it allows, and, headless on each step's own
link, every claim holds on the numbers its page shows."""

from __future__ import annotations

import pytest

from lessons.runs import link_values
from lessons.steps import LESSONS
from lessons.write import PATH, document

CLAIMS = [
    pytest.param(claim, id=f"{lesson.split(':')[0]} {number}: {step.title}")
    for lesson, steps in LESSONS.items()
    for number, step in enumerate(steps, 1)
    for claim in step.claims
]


def test_docs_teaching_is_written_from_the_lessons():
    current = PATH.read_text()
    assert current == document(current), "run: python -m lessons.write"


def test_every_claim_trains_a_link_its_page_accepts():
    assert len(CLAIMS) >= 9
    for param in CLAIMS:
        for _, run in param.values[0].runs:
            page, values = link_values(run.link)  # raises for a value the page would refuse
            assert values, page


def test_a_link_with_a_value_its_page_refuses_is_named():
    with pytest.raises(ValueError, match="lr_g=7 "):
        link_values("http://localhost:8501/gan?lr_g=7")
    with pytest.raises(ValueError, match="no training page"):
        link_values("http://localhost:8501/nowhere?lr=1")


@pytest.mark.slow
@pytest.mark.parametrize("claim", CLAIMS)
def test_the_claim_holds_on_its_own_link(claim):
    measured = claim.measure()
    assert measured.held, f"{claim.said!r}: measured {measured.text}"
