"""The pages' shared look, on top of Streamlit's: less empty space above and beside the page,
so that the picture to watch sits above the fold on a 1366×768 laptop beside its curves, and a
title that fits a phone's width on one or two lines."""

import streamlit as st

CSS = """
<style>
[data-testid="stMainBlockContainer"] {
  padding-top: 3.5rem; padding-left: 2.5rem; padding-right: 2.5rem; padding-bottom: 4rem;
}
[data-testid="stMainBlockContainer"] h1 { font-size: 2.2rem; padding-top: 0; }
@media (max-width: 640px) {
  [data-testid="stMainBlockContainer"] { padding-left: 1rem; padding-right: 1rem; }
  [data-testid="stMainBlockContainer"] h1 { font-size: 1.7rem; }
}
</style>
"""


def page_style() -> None:
    """Apply the shared look to the page being drawn (a style element takes no space)."""
    st.html(CSS)
