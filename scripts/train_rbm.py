"""Train the pretrained RBM that the RBM page offers, and save it to assets/.

    python scripts/train_rbm.py

100 hidden units on binarized mnist-5k, CD-1, 30 epochs (learning rate 0.05, momentum 0.5,
weight decay 1e-4): a model whose filters and samples already look like digits.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core.data import binarize, load_dataset  # noqa: E402
from core.rbm import RBM, RBMTrainer, checkpoint_bytes  # noqa: E402

OUT = ROOT / "assets" / "rbm_mnist-5k_100h.pt"


def main() -> None:
    data = torch.from_numpy(binarize(load_dataset("mnist-5k").images))
    rbm = RBM(784, 100, seed=0)
    trainer = RBMTrainer(rbm, learning_rate=0.05, k=1, momentum=0.5, weight_decay=1e-4, seed=0)
    generator = torch.Generator().manual_seed(0)
    started = time.perf_counter()
    for _ in range(30):
        order = torch.randperm(len(data), generator=generator)
        for start in range(0, len(data), 100):
            trainer.step(data[order[start : start + 100]], compute_metrics=False)
    log_z = rbm.log_partition_ais(data=data.numpy(), n_runs=100, n_betas=5000, seed=0)
    print(
        f"trained in {time.perf_counter() - started:.1f} s; average log-likelihood of the "
        f"training digits (AIS): {rbm.average_log_likelihood(data, log_z.log_z):.2f} nats"
    )
    OUT.write_bytes(
        checkpoint_bytes(
            rbm, dataset="mnist-5k", epochs=30, steps=trainer.steps_done, method="CD-1"
        )
    )
    print(f"saved {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
