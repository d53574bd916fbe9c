"""Home: real digits beside what the two shipped models draw, then what each model is, in a
sentence and a formula, and where to train it."""

import streamlit as st

from core.pictures.grids import image_grid
from pages.kit.widgets import grid_picture
from pages.views.showcase import samples


@st.cache_resource(show_spinner=False)
def showcase() -> list[str]:
    """Three 4×4 grids, drawn once per server (dashboard.py starts on the samples at once):
    real digits, the RBM's dreams, G's samples."""
    return [grid_picture(image_grid(pixels, (28, 28), columns=4), 280) for pixels in samples()]


st.title("Generative models, live: RBMs and GANs")
st.markdown(
    "Two ways to teach a computer to *draw* digits, trained live in your browser. Press "
    "Start on a page and watch the model learn; pause it, step it, look inside it."
)
# The samples' places, filled at the end: a server that has only just started may still be
# drawing them (a few seconds), and the rest of the page need not wait.
real, dreamed, generated = (column.empty() for column in st.columns(3))
real.caption("Drawing samples of the pretrained models…")
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
pictures = showcase()
real.image(pictures[0], caption="Real digits (mnist-5k)", width="stretch")
with dreamed.container():
    st.image(pictures[1], caption="Dreamed by the pretrained RBM, from noise", width="stretch")
    st.page_link("rbm.py", label="Train an RBM", icon=":material/hub:")
with generated.container():
    st.image(pictures[2], caption="Drawn by the pretrained GAN, from noise", width="stretch")
    st.page_link("gan.py", label="Train a GAN", icon=":material/theater_comedy:")
