"""Entry point: `streamlit run dashboard.py`. Tunes the process once for serving and training
(core.training.process), then serves the pages (pages/navigation.py) on Streamlit's own server
with one more route: the live status line's (see pages.kit.live_line). Home's pictures ship
pre-drawn (pages.views.showcase), so nothing is drawn at start."""

import streamlit as st

from core.training.process import tune_process
from pages.kit.live_line import mounted_routes

tune_process()
app = st.App("pages/navigation.py", routes=mounted_routes())
