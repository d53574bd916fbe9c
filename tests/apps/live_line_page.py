"""A training page whose live fragment has no timer: only the live line's own requests move
its status line, and only the line's trigger tells the page that training has ended."""

import streamlit as st

from core.training.caps import Caps
from core.training.rbm_job import RBMJob, RBMJobSettings
from core.training.runs import TRAINING
from pages.kit.live import live_status_view
from pages.kit.session import PageSession, cached_dataset, close_session


@st.cache_resource(scope="session", on_release=close_session)
def page_session() -> PageSession:
    return PageSession()


session = page_session()
if session.run is None:
    settings = RBMJobSettings(
        hidden_units=8, batch_size=10, epochs=int(st.query_params.get("epochs", 30))
    )
    session.start_over(RBMJob(cached_dataset("digits"), settings), Caps(), settings)
run = session.run
st.button("Start", on_click=run.start)
st.session_state["test_was_training"] = run.state == TRAINING
st.session_state.setdefault("fragment_runs", 0)


@st.fragment
def live() -> None:
    st.session_state["fragment_runs"] += 1
    live_status_view(
        run,
        session,
        "test",
        lambda snapshot: f", epoch {snapshot.latest.get('epoch', 0.0):.2f}",
        "One step is one mini-batch update.",
        None,
        0.25,
        finished=lambda slot, text: slot.success(text),
    )
    st.caption(f"Fragment runs: {st.session_state['fragment_runs']}")


live()
