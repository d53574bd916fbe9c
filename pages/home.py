"""Home: real digits beside what the two shipped models draw, then what each model is, in a
sentence and a formula, and where to train it."""

import streamlit as st

from pages.views.showcase import home_pictures


@st.cache_resource(show_spinner=False)
def showcase() -> list[str | None]:
    """Three 4×4 grids, pre-drawn in assets/ (pages.views.showcase): real digits, the RBM's
    dreams, G's samples. Read once per server: no model, no torch, so they come with the
    title even on a server that has just started."""
    return home_pictures(280)


def picture(svg: str | None, caption: str) -> None:
    """One of the three, or what to do where its file is missing."""
    if svg is None:
        st.caption(f"{caption}: the picture is missing (python -m pages.views.showcase).")
    else:
        st.image(svg, caption=caption, width="stretch")


st.title("Generative models, live: RBMs and GANs")
st.markdown(
    "Two ways to teach a computer to *draw* digits, trained live in your browser. Press "
    "Start on a page and watch the model learn; pause it, step it, look inside it."
)
pictures = showcase()
real, dreamed, generated = st.columns(3)
with real:
    picture(pictures[0], "Real digits (mnist-5k)")
with dreamed:
    picture(pictures[1], "Dreamed by the pretrained RBM, from noise")
    st.page_link("rbm.py", label="Train an RBM", icon=":material/hub:")
with generated:
    picture(pictures[2], "Drawn by the pretrained GAN, from noise")
    st.page_link("gan.py", label="Train a GAN", icon=":material/theater_comedy:")
rbm, gan = st.columns(2)
with rbm:
    st.subheader("Restricted Boltzmann Machine")
    st.markdown(
        "Pixels v and hidden features h, joined by weights W. The model gives every image "
        "an energy; training lowers the energy of real digits. Sampling runs a Gibbs chain "
        "h ~ P(h | v), v ~ P(v | h)."
    )
    st.latex(r"E(v,h) = -b^\top v - c^\top h - h^\top W v")
    st.latex(r"F(v) = -b^\top v - \sum_j \log\left(1 + e^{c_j + W_j v}\right)")
    st.page_link("rbm.py", label="Train an RBM", icon=":material/hub:")
with gan:
    st.subheader("Generative Adversarial Network")
    st.markdown(
        "A generator G turns random noise z into images; a discriminator D tries to tell "
        "them from real digits. Each gets better by beating the other."
    )
    st.latex(
        r"\min_G \max_D \; \mathbb{E}_{x}\left[\log D(x)\right] + "
        r"\mathbb{E}_{z}\left[\log\left(1 - D(G(z))\right)\right]"
    )
    st.page_link("gan.py", label="Train a GAN", icon=":material/theater_comedy:")
close, plane = st.columns(2)
with close:
    st.subheader("RBM up close")
    st.markdown(
        "An RBM on images of at most 16 pixels, small enough to see whole: the model's "
        "probability of every image, the partition function Z, and the exact gradient beside "
        "the estimates CD and PCD make of it. One update taken apart, step by step."
    )
    st.latex(r"P(v) = \frac{e^{-F(v)}}{Z}, \qquad Z = \sum_{v} e^{-F(v)}")
    st.page_link("rbm_exact.py", label="See an RBM whole", icon=":material/zoom_in:")
with plane:
    st.subheader("GAN in 2-D")
    st.markdown(
        "The same game on points in the plane, where all of it can be seen and a run takes "
        "seconds: what D believes everywhere, where G's loss pushes each point, how G bends "
        "its noise. Rings, grids, moons, spirals, or points you draw."
    )
    st.latex(r"-\nabla_x \log D(x) \;\text{ at each } x = G(z)")
    st.page_link("gan_2d.py", label="Play the game in 2-D", icon=":material/scatter_plot:")
