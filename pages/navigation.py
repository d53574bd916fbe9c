"""The pages in screen order, with the page config: the script dashboard.py's App serves.

It lives in pages/ beside the pages: Streamlit takes a folder called pages/ beside its main
script for an old-style multipage app, which would run a page opened by its URL (a deep link
as a fresh server's first request) without this navigation.
"""

# Imported here, first thing in every session, rather than lazily where a chart or st.json
# first needs it: two sessions starting together once imported pandas from two threads by
# different paths, and one got a partially initialised module (AttributeError on a page).
import pandas  # noqa: F401
import streamlit as st

from pages.kit.presenter import presenting
from pages.kit.style import page_style

st.set_page_config(
    page_title="RBM & GAN, live",
    page_icon="🧠",
    layout="wide",
    initial_sidebar_state="collapsed" if presenting() else "auto",
)
page_style(presenting())

navigation = st.navigation(
    [
        st.Page("home.py", title="Home", icon=":material/home:", default=True),
        st.Page(
            "rbm.py",
            title="Restricted Boltzmann Machine",
            icon=":material/hub:",
            url_path="rbm",
        ),
        st.Page(
            "gan.py",
            title="Generative Adversarial Network",
            icon=":material/theater_comedy:",
            url_path="gan",
        ),
        st.Page(
            "gan_2d.py",
            title="GAN in 2-D",
            icon=":material/scatter_plot:",
            url_path="gan-2d",
        ),
        st.Page(
            "rbm_exact.py",
            title="RBM up close",
            icon=":material/zoom_in:",
            url_path="rbm-exact",
        ),
    ]
)
navigation.run()
