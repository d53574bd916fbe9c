"""Entry point: `streamlit run dashboard.py`. Tunes the process once for serving and training
(core.process), starts on the home page's samples (core.showcase), then serves the pages
(pages/navigation.py) on Streamlit's own server with one more route: the live status line's
(see pages.live_line)."""

import streamlit as st

from core.process import tune_process
from core.showcase import warm_up
from pages.live_line import mounted_routes

tune_process()
warm_up()  # the home page's samples, ready for the first visitor
app = st.App("pages/navigation.py", routes=mounted_routes())
