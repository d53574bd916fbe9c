"""Entry point: `streamlit run dashboard.py` serves navigation.py (the pages) on Streamlit's
own server, with one more route: the live status line's (see app_pages.live_line)."""

import streamlit as st

from app_pages.live_line import mounted_routes

app = st.App("navigation.py", routes=mounted_routes())
