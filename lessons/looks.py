"""What a lesson's claims read beside a page's charts, taken from the job as its page takes it:
D's surface and G's push in the plane, a small RBM's most probable states, the judge's verdict
on an RBM's dreams (64 chains, 1,000 Gibbs steps, as the Dream button makes them)."""

from __future__ import annotations

import functools

import numpy as np


def push(job) -> dict[str, float]:
    """G's push: the mean length of the arrows −∂(G's loss)/∂x on its shown points."""
    return {"push": float(job.pictures()["push"])}


def surface(job) -> dict[str, float]:
    """D(x) over the plane: its mean, and its spread (the standard deviation over the grid)."""
    field = job.field()
    return {"surface_mean": float(field.mean()), "surface_spread": float(field.std())}


def top_states(job) -> dict[str, float]:
    """Whether the small RBM's most probable states are exactly the data's, as many as there
    are (the page's "most probable states" view)."""
    from core.data.tiny import state_numbers
    from core.rbm.exact import exact_distribution

    data = set(state_numbers(job.data.images).tolist())
    best = np.argsort(-exact_distribution(job.rbm).log_p)[: len(data)]
    return {"top_are_data": float(set(best.tolist()) == data)}


@functools.cache
def _judge():
    from core.judge.classifier import classifier_path, load_classifier

    return load_classifier(classifier_path((28, 28)))


def dreams(*samplers: str):
    """The judge's verdict on 64 dreams of each sampler: the share recognised, the number of
    digits 5% or more of them are, and the number of digits among them at all."""

    def look(job) -> dict[str, float]:
        from core.rbm.dreams import judge

        record = {}
        for sampler in samplers:
            verdict = judge(_judge(), job.dreams(sampler, 64, 1000))
            record[f"{sampler}_recognised"] = verdict.recognised
            record[f"{sampler}_kinds"] = float(verdict.classes_with(0.05))
            record[f"{sampler}_digits"] = float((verdict.class_shares > 0).sum())
        return record

    look.__qualname__ = f"dreams{samplers}"
    return look


def pretrained_rbm(job) -> None:
    """Start from the pretrained RBM, as its button does."""
    from core.rbm.model import load_checkpoint_bytes
    from pages.settings.rbm import PRETRAINED

    rbm, config = load_checkpoint_bytes(PRETRAINED.path.read_bytes())
    job.load_weights(rbm, int(config.get("steps", 0)), float(config.get("epochs", 0)))


def replay_verdicts(job) -> dict[str, float]:
    """The judge on every frame of the pretrained RBM's recorded replay (64 dreams annealed over
    300 Gibbs steps each) from step 1,000 on: the most kinds in one frame, the median share
    recognised, and the two digits seen most."""
    from core.data.recordings import load_recording, recording_path
    from core.rbm.dreams import judge
    from pages.settings.rbm import PRETRAINED

    recording = load_recording(recording_path(PRETRAINED.path), "rbm")
    frames = [i for i, step in enumerate(recording.steps) if step >= 1000]
    verdicts = [judge(_judge(), recording.frame(i)) for i in frames]
    shares = np.sum([v.class_shares for v in verdicts], axis=0)
    first, second = np.argsort(-shares)[:2]
    return {
        "replay_kinds_most": float(max(v.classes_with(0.05) for v in verdicts)),
        "replay_recognised_median": float(np.median([v.recognised for v in verdicts])),
        "replay_first": float(first),
        "replay_second": float(second),
    }
