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


# ?present=1 (pages.kit.presenter): text a fifth larger for the back of a lecture hall, the
# explanations under the views left out (the captions of pictures stay), and no picture
# taller than the screen below the controls (the sidebar closed, the grids would grow).
PRESENT_CSS = """
<style>
html { font-size: 19px; }
[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]:has(
  [data-testid="stCaptionContainer"]):not(:has([data-testid="stImage"])) { display: none; }
[data-testid="stMainBlockContainer"] [data-testid="stImage"] img {
  max-height: calc(100vh - 330px); object-fit: contain;
}
</style>
"""


def page_style(presenting: bool = False) -> None:
    """Apply the shared look to the page being drawn (a style element takes no space)."""
    st.html(CSS + (PRESENT_CSS if presenting else ""))
