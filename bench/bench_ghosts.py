"""What an earlier run (a ghost, pages.kit.ghosts) costs in memory, on each page.

    python bench/bench_ghosts.py [--steps 60]

Trains each page's default run for ``--steps`` real steps and takes its records (the run's
"step" and "images" added, as TrainingRun keeps them); a full ghost is GHOST_RECORDS such records
(copies, each with values of its own, as a long run's are), thinned as a Reset thins them, and
the album of a run of 30,000 steps (10 pages of its samples: core.training.album). Prints the
bytes one full ghost holds by pages.kit.ghosts.history_bytes and as tracemalloc sees them
allocated, and MAX_GHOSTS ghosts' worth per visitor and page.
"""

from __future__ import annotations

import argparse
import tracemalloc

from bench.machine import describe
from core.data.datasets import load_dataset
from core.data.toy2d import BUILT_IN
from core.gan.trainer import GANConfig
from core.training.album import Album
from core.training.gan2d_job import GAN2DJob
from core.training.gan_job import GANJob
from core.training.rbm_job import RBMJob, RBMJobSettings
from pages.kit.ghosts import GHOST_RECORDS, MAX_GHOSTS, history_bytes, thinned
from pages.settings.gan_2d import SETTINGS as GAN2D_SETTINGS
from pages.settings.gan_2d import job_settings


def default_jobs():
    """Each page's default run (the GAN without its judge: its records are the same keys)."""
    dataset = load_dataset("mnist-5k")
    values = {s.name: s.default for s in GAN2D_SETTINGS}
    yield "RBM", RBMJob(dataset, RBMJobSettings())
    yield "GAN", GANJob(dataset, GANConfig())
    yield "2-D GAN", GAN2DJob(BUILT_IN[values["data"]](), job_settings(values))


def full_ghost(records: list[dict]) -> list[dict]:
    """GHOST_RECORDS records shaped like ``records``, each with float values of its own."""
    return [
        {**{k: v * 1.0 for k, v in records[i % len(records)].items()}, "step": float(i + 1)}
        for i in range(GHOST_RECORDS)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    print(describe())
    for name, job in default_jobs():
        records = []
        for step in range(args.steps):
            metrics = job.train_step()
            records.append({"step": float(step + 1), "images": float(job.images_seen), **metrics})
        pictures = job.pictures()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        ghost = thinned(full_ghost(records))
        album = Album(job.ALBUM_KEY)
        for step in (1, 3, 10, 30, 100, 300, 1000, 3000, 10_000, 30_000):
            album.keep(step, pictures)
        allocated = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        size = history_bytes(ghost)
        pages = sum(page.nbytes + 100 for _, page in album.pages)  # as pages.kit.ghosts counts
        print(
            f"{name}: {len(records[-1])} numbers a record, {len(ghost)} records a ghost: "
            f"{size / 1000:,.0f} kB by history_bytes, album {pages / 1000:,.0f} kB "
            f"({len(album.pages)} pages), {allocated / 1000:,.0f} kB allocated in all; "
            f"{MAX_GHOSTS} ghosts {MAX_GHOSTS * (size + pages) / 1e6:.1f} MB"
        )


if __name__ == "__main__":
    main()
