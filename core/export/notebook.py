"""A take-home script as a Jupyter notebook: its docstring the first cell's text, then each
``# %% Title`` section of the script a heading and a code cell, written with nbformat."""

from __future__ import annotations

import ast

import nbformat


def notebook(script: str) -> str:
    """The notebook (.ipynb JSON) of a take-home script, whose code cells run top to bottom
    are the script itself (its last cell calls main(), as running the file does)."""
    tree = ast.parse(script)
    docstring = ast.get_docstring(tree)
    lines = script.splitlines()
    if docstring is None:
        raise ValueError("A take-home script starts with its docstring.")
    cells = [nbformat.v4.new_markdown_cell(docstring)]
    section: list[str] = []
    for line in [*lines[tree.body[0].end_lineno :], "# %%"]:
        if not line.startswith("# %%"):
            section.append(line)
            continue
        code = "\n".join(section).strip("\n")
        if code:
            cells.append(nbformat.v4.new_code_cell(code))
        title = line.removeprefix("# %%").strip()
        if title:
            cells.append(nbformat.v4.new_markdown_cell(f"### {title}"))
        section = []
    book = nbformat.v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(book)
    return nbformat.writes(book)
