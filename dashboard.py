"""Entry point: `streamlit run dashboard.py`. Tunes the process once for serving and training
(core.training.process), starts on the home page's samples (pages.views.showcase), then
serves the pages
(pages/navigation.py) on Streamlit's own server with one more route: the live status line's
(see pages.kit.live_line)."""

import streamlit as st

from core.training.process import tune_process
from pages.kit.live_line import mounted_routes
from pages.views.showcase import warm_up

tune_process()
warm_up()  # the home page's samples, ready for the first visitor
app = st.App("pages/navigation.py", routes=mounted_routes())
