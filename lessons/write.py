"""docs/teaching.md, written from lessons/steps.py: python -m lessons.write. The table the
Chromium bench measures (bench/bench_lessons.py) sits between two markers and is kept."""

from __future__ import annotations

import textwrap
from pathlib import Path

from lessons.steps import LESSONS, Step

PATH = Path(__file__).resolve().parents[1] / "docs" / "teaching.md"
BEGIN, END = "<!-- measured: bench/bench_lessons.py -->", "<!-- /measured -->"

INTRODUCTION = """\
# Two 15-minute lessons with the dashboard

Each step is a link: start the dashboard (`streamlit run dashboard.py`, the README's first
command) and open it on the projector. A link sets the page's settings, hides the controls
the class need not touch (`hide=`), and `present=1` lays the page out for a projector: larger
text, the sidebar closed, the explanations under the views left out. Any page's **Share for
class** button, at the foot of its sidebar, makes links like these from what is on screen.

What a step says the class will see is checked: each claim is a predicate in
`lessons/steps.py`, beside these words (this file is written from it: `python -m
lessons.write`), on the numbers the page shows, trained headless on the step's own link by
`tests/test_lessons.py`. The table at the end is `bench/bench_lessons.py`: the same steps in
Chromium, with the seconds each took to reach the steps its claims need."""


def step_text(number: int, step: Step) -> str:
    """One numbered step, wrapped at 96 columns under its number."""
    head = f"**{step.title}** ({step.minutes} min)."
    if step.link:
        head += f" [{step.link_text}]({step.link})."
    parts = [head]
    if step.do:
        parts.append(step.do)
    parts.append(f"*Say:* {step.say}")
    parts.append("*They see:* " + " ".join(getattr(p, "said", p) for p in step.see))
    text = " ".join(parts)
    lines = textwrap.wrap(text, 96, break_long_words=False, break_on_hyphens=False)
    return f"{number}. " + "\n   ".join(lines)


def lessons_text() -> str:
    sections = [INTRODUCTION]
    for title, steps in LESSONS.items():
        body = "\n".join(step_text(n, step) for n, step in enumerate(steps, 1))
        sections.append(f"## {title}\n\n{body}")
    return "\n\n".join(sections) + "\n"


def measured_table(current: str) -> str:
    """The bench's table as the file holds it (markers included), or an empty one."""
    if BEGIN in current and END in current:
        return current[current.index(BEGIN) : current.index(END) + len(END)]
    return f"{BEGIN}\n(not measured yet: python bench/bench_lessons.py)\n{END}"


def document(current: str, table: str | None = None) -> str:
    heading = "## Measured: the claims in Chromium\n\n"
    return lessons_text() + "\n" + heading + (table or measured_table(current)) + "\n"


def main() -> None:
    current = PATH.read_text() if PATH.exists() else ""
    PATH.write_text(document(current))
    print(f"wrote {PATH}")


if __name__ == "__main__":
    main()
