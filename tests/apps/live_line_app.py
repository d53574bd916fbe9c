"""A server for tests/test_browser.py: live_line_page.py with the live line's route."""

import streamlit as st

from pages.kit.live_line import mounted_routes

app = st.App("live_line_page.py", routes=mounted_routes())
