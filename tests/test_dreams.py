"""What an RBM dreams: the samplers against exact marginals on a small model, the judge at both
ends (noise, real digits), the page's job, and the shipped pretrained RBM's dreams."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from core.data.datasets import binarize, load_dataset
from core.judge.classifier import load_classifier
from core.rbm.dreams import dream, judge
from core.rbm.likelihood import all_states, base_rate_biases
from core.rbm.model import RBM, load_checkpoint_bytes
from core.training.rbm_job import RBMJob, RBMJobSettings

ASSETS = Path(__file__).resolve().parents[1] / "assets"
DREAMER = ASSETS / "rbm_mnist-5k_500h_pcd.pt"


def exact_pixel_means(rbm: RBM, beta: float = 1.0, base: torch.Tensor | None = None):
    """P(v_i = 1) under p_β(v) ∝ exp((1 − β) b_Aᵀv + β bᵀv + Σ_j softplus(β (c_j + W_j v)))
    (the RBM itself at β = 1), by summing over every visible state."""
    states = all_states(0, 2**rbm.n_visible, rbm.n_visible, dtype=torch.float64)
    W, b, c = (t.double() for t in (rbm.W, rbm.b, rbm.c))
    base = torch.zeros_like(b) if base is None else base.double()
    log_p = (1 - beta) * (states @ base) + beta * (states @ b)
    log_p = log_p + torch.nn.functional.softplus(beta * (states @ W.t() + c)).sum(dim=1)
    p = torch.softmax(log_p, dim=0)
    return (p[:, None] * states).sum(dim=0).numpy()


def small_rbm() -> RBM:
    rbm = RBM(8, 4, seed=3)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        rbm.W.copy_(torch.randn(4, 8, generator=generator) * 1.5)
        rbm.b.copy_(torch.randn(8, generator=generator))
        rbm.c.copy_(torch.randn(4, generator=generator))
    return rbm


def test_plain_gibbs_from_noise_reaches_the_models_own_marginals():
    rbm = small_rbm()
    exact = exact_pixel_means(rbm)
    means = dream(rbm, n=20_000, steps=60, seed=1)
    assert means.shape == (20_000, 8) and 0 <= means.min() and means.max() <= 1
    np.testing.assert_allclose(means.mean(axis=0), exact, atol=0.015)
    # annealed, the chains end at β = 1 too: on a model this small they reach it as well
    annealed = dream(rbm, n=20_000, steps=200, annealed=True, seed=2)
    np.testing.assert_allclose(annealed.mean(axis=0), exact, atol=0.03)
    # stopped halfway, at β = 1/2, they sit in the tempered model, data's base rates and all
    data = (torch.rand(50, 8, generator=torch.Generator().manual_seed(4)) < 0.8).float()
    tempered = exact_pixel_means(rbm, 0.5, base_rate_biases(data, 8))
    assert np.abs(tempered - exact).max() > 0.1  # a different distribution
    halfway = dream(rbm, n=20_000, steps=400, annealed=True, data=data, seed=3, up_to=0.5)
    np.testing.assert_allclose(halfway.mean(axis=0), tempered, atol=0.03)
    with pytest.raises(ValueError):
        dream(rbm, n=0)


@pytest.fixture(scope="module")
def judge_net():
    return load_classifier(ASSETS / "mnist_classifier.pt")


@pytest.mark.slow
def test_the_judge_recognises_real_digits_and_not_noise(judge_net):
    real = load_dataset("mnist-5k").images[::10]  # 500 digits, every class
    verdict = judge(judge_net, real)
    assert verdict.recognised > 0.9 and verdict.classes_with(0.05) == 10
    # the RBM's training images, binarized, are a little harder for it (it learned on grey
    # levels): the most that dreams as sharp as they are can expect
    verdict = judge(judge_net, binarize(real))
    assert verdict.recognised > 0.7 and verdict.classes_with(0.05) == 10
    noise = np.random.default_rng(0).random((500, 784)).astype(np.float32)
    verdict = judge(judge_net, noise)
    assert verdict.recognised < 0.02 and verdict.rejected > 0.9
    # the bars the page draws (ten digits, unsure, none) add up to 1, here and half-way
    half_way = np.concatenate([real[:250], noise[:250]])
    for images in (real, noise, half_way):
        verdict = judge(judge_net, images)
        total = verdict.class_shares.sum() + verdict.unsure + verdict.rejected
        assert total == pytest.approx(1.0) and verdict.unsure >= 0


def test_the_page_job_dreams_with_each_sampler(digits):
    job = RBMJob(digits, RBMJobSettings(hidden_units=16, batch_size=20, persistent=True))
    with pytest.raises(ValueError, match="PCD"):
        job.dreams("persistent")  # no update yet: no chains
    for _ in range(3):
        job.train_step()
    chains = job.dreams("persistent", n=8)
    assert chains.shape == (8, 64)
    # P(v | h) of the trainer's own chains
    expected = torch.sigmoid(job.trainer.persistent_hidden[:8] @ job.rbm.W + job.rbm.b)
    np.testing.assert_allclose(chains, expected.numpy(), rtol=1e-5)
    for sampler in ("plain", "annealed"):
        assert job.dreams(sampler, n=5, steps=20).shape == (5, 64)
    with pytest.raises(ValueError, match="sampler"):
        job.dreams("dreamless")
    job.apply(RBMJobSettings(hidden_units=16, batch_size=20, persistent=False))
    with pytest.raises(ValueError, match="PCD"):
        job.dreams("persistent")


@pytest.mark.slow
def test_the_pretrained_rbm_dreams_digits_of_many_kinds(judge_net):
    """The target of scripts/train_rbm.py: 500 chains from the data's base rates, 1,000
    annealed Gibbs steps (the page's default sampler), judged by the reference classifier."""
    rbm, config = load_checkpoint_bytes(DREAMER.read_bytes())
    data = binarize(load_dataset("mnist-5k").images)
    pixels = dream(rbm, n=500, steps=1000, annealed=True, data=data, seed=0)
    verdict = judge(judge_net, pixels)
    assert verdict.recognised >= 0.6, verdict
    assert verdict.classes_with(0.05) >= 8, verdict
    assert config["method"].startswith("PCD") and config["n_hidden"] == 500
