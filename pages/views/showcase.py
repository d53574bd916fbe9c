"""What the home page shows before anyone trains: real digits beside samples of the two
shipped models (assets/), the RBM's dreamed as its page dreams them.

The three 4×4 grids ship pre-drawn in assets/ (home_*.png), so Home reads three small files
and loads no model: drawn at a cold server's first request they took seconds that a class
opening the link together waited for. The scripts that train the models draw them again
(scripts/train_rbm.py, scripts/train_gan.py call write_pictures), and so does

    python -m pages.views.showcase [--out DIR]

from the shipped checkpoints, without training. Each file names the checkpoint it was drawn
from (its SHA-256, in a PNG text chunk), so a test can tell a stale picture.
"""

from __future__ import annotations

import argparse
import hashlib
import io
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from core.pictures.grids import image_grid, picture_svg, png_bytes

ASSETS = Path(__file__).resolve().parents[2] / "assets"
RBM_FILE, GAN_FILE = ASSETS / "rbm_mnist-5k_500h_pcd.pt", ASSETS / "gan_mnist-5k.pt"
NAMES = ("home_real_digits.png", "home_rbm_dreams.png", "home_gan_samples.png")
PICTURES = tuple(ASSETS / name for name in NAMES)  # real digits, the RBM's, G's
SOURCES = (None, RBM_FILE, GAN_FILE)  # the checkpoint each is drawn from (None: the data)
DRAWN_FROM = "drawn from"  # the PNG text chunk that names the checkpoints


# ---- Home: the pre-drawn files, no torch --------------------------------------------------


def home_pictures(width: int = 280) -> list[str | None]:
    """The three pre-drawn grids as pictures enlarged pixel for pixel to about ``width``
    pixels (None for a file that is missing or unreadable)."""
    pictures: list[str | None] = []
    for path in PICTURES:
        try:
            png = path.read_bytes()
            with Image.open(path) as image:
                columns, rows = image.size
        except OSError:
            pictures.append(None)
            continue
        scale = max(1, round(width / columns))
        pictures.append(picture_svg(png, columns * scale, rows * scale))
    return pictures


# ---- drawing them from the shipped checkpoints ---------------------------------------------


def real_digits(n: int = 16, dataset=None) -> np.ndarray:
    """n training digits of mnist-5k, spread over the set (it is sorted by digit)."""
    from core.data.datasets import load_dataset

    images = (dataset or load_dataset("mnist-5k")).images
    return images[np.linspace(0, len(images) - 1, n).astype(int)]


def rbm_dreams(n: int = 16, seed: int = 0, dataset=None) -> np.ndarray:
    """n annealed dreams (1,000 Gibbs steps from noise) of the pretrained RBM, from the base
    rates of the RBM page's training part of mnist-5k."""
    import torch

    from core.data.datasets import binarize, load_dataset, train_validation_split
    from core.rbm.dreams import dream
    from core.rbm.model import load_checkpoint_bytes

    rbm, _ = load_checkpoint_bytes(RBM_FILE.read_bytes())
    train, _ = train_validation_split(dataset or load_dataset("mnist-5k"), 0.1, seed=0)
    with torch.no_grad():
        return dream(rbm, n, 1000, annealed=True, data=binarize(train.images), seed=seed)


def gan_samples(n: int = 16, seed: int = 0) -> np.ndarray:
    """G(z) of the pretrained GAN for n draws of z, in [0, 1]."""
    import torch

    from core.data.checkpoints import read_checkpoint
    from core.gan.trainer import GANConfig, GANTrainer

    checkpoint = read_checkpoint(GAN_FILE.read_bytes(), "gan")
    config = GANConfig.from_dict(checkpoint["config"])
    trainer = GANTrainer(config, torch.zeros(1, config.n_pixels))  # no data: it only draws
    trainer.load_checkpoint(checkpoint)
    z = trainer.sample_noise(n, torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return (trainer.generate(z) + 1) / 2


def samples() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three sets the home page shows: real digits, the RBM's dreams, G's samples."""
    from core.data.datasets import load_dataset

    dataset = load_dataset("mnist-5k")  # read once: it is most of the time
    return real_digits(dataset=dataset), rbm_dreams(dataset=dataset), gan_samples()


def grids() -> list[np.ndarray]:
    """The three 4×4 grids, drawn on one torch thread: the same pixels wherever this thread
    count is (more threads may change a product's last bits, and so a dream's draws)."""
    import torch

    from core.training.process import threads_for_this_thread

    before = torch.get_num_threads()
    threads_for_this_thread(1)
    try:
        return [image_grid(pixels, (28, 28), columns=4) for pixels in samples()]
    finally:
        threads_for_this_thread(before)


def drawn_from(checkpoint: Path | None) -> str:
    """What a picture comes from: a shipped checkpoint, by name and SHA-256, or the data."""
    if checkpoint is None:
        return "mnist-5k"
    return f"{checkpoint.name} sha256:{hashlib.sha256(checkpoint.read_bytes()).hexdigest()}"


def write_pictures(folder: Path = ASSETS) -> list[Path]:
    """Draw the three grids from the shipped checkpoints into ``folder`` as PNGs at their own
    size (Home enlarges them), each naming the checkpoints it was drawn from."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, source, grid in zip(NAMES, SOURCES, grids(), strict=True):
        info = PngImagePlugin.PngInfo()
        info.add_text(DRAWN_FROM, drawn_from(source))
        path = folder / name
        with Image.open(io.BytesIO(png_bytes(grid, upscale=1))) as image:  # as Home drew them
            image.save(path, format="PNG", pnginfo=info)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Draw Home's pictures from the shipped models.")
    parser.add_argument("--out", type=Path, default=ASSETS, help="folder (default: assets/)")
    for path in write_pictures(parser.parse_args(argv).out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
