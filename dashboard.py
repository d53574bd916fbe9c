"""Entry point: page config and navigation over the pages."""

import streamlit as st

st.set_page_config(page_title="RBM & GAN, live", page_icon="🧠", layout="wide")


def home() -> None:
    st.title("Generative models, live: RBMs and GANs")
    st.write(
        "Train a Restricted Boltzmann Machine and a Generative Adversarial Network in your "
        "browser and watch them learn to draw digits."
    )
    st.latex(r"E(v,h) = -b^\top v - c^\top h - h^\top W v")
    st.latex(r"F(v) = -b^\top v - \sum_j \log\left(1 + e^{c_j + W_j v}\right)")
    st.page_link("pages/rbm.py", label="Train an RBM", icon=":material/hub:")


navigation = st.navigation(
    [
        st.Page(home, title="Home", icon=":material/home:", default=True),
        st.Page(
            "pages/rbm.py",
            title="Restricted Boltzmann Machine",
            icon=":material/hub:",
            url_path="rbm",
        ),
    ]
)
navigation.run()
