"""The exact view of a small RBM against brute force and autograd; CD's estimates against the
exact gradient; one update in slow motion against the trainer; the race job; its pictures."""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest
import torch

from core.data.tiny import bars_and_stripes, shifted_squares
from core.pictures.tiny import energy_levels_svg, heatmap_svg, image_rows_svg
from core.rbm.exact import (
    compare_estimates,
    exact_distribution,
    exact_gradient,
    exact_log_likelihood,
    slow_motion_update,
)
from core.rbm.model import RBM
from core.rbm.trainer import RBMTrainer
from core.sampling import RandomSource
from core.training.exact_job import ExactRBMJob, ExactSettings
from tests.helpers import parsed_svg

BARS = bars_and_stripes(3)


def random_rbm(n_visible: int, n_hidden: int, scale: float, seed: int = 0) -> RBM:
    rbm = RBM(n_visible, n_hidden, seed=seed, dtype=torch.float64, weight_scale=scale)
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        rbm.b.copy_(torch.randn(n_visible, generator=generator, dtype=torch.float64) * 0.5)
        rbm.c.copy_(torch.randn(n_hidden, generator=generator, dtype=torch.float64) * 0.5)
    return rbm


def test_exact_p_of_v_sums_to_one_and_matches_brute_force_over_v_and_h():
    rbm = random_rbm(5, 3, 1.0)
    states_v = [torch.tensor(s, dtype=torch.float64) for s in itertools.product([0, 1], repeat=5)]
    states_h = [torch.tensor(s, dtype=torch.float64) for s in itertools.product([0, 1], repeat=3)]
    weights = {}  # Σ_h e^{−E(v,h)} for each v, E = −bᵀv − cᵀh − hᵀWv, term by term
    for v in states_v:
        total = 0.0
        for h in states_h:
            energy = -(rbm.b @ v) - (rbm.c @ h) - (h @ rbm.W @ v)
            total += math.exp(-float(energy))
        weights[sum(int(bit) << i for i, bit in enumerate(v))] = total
    z = sum(weights.values())
    distribution = exact_distribution(rbm)
    assert distribution.log_z == pytest.approx(math.log(z), rel=1e-12)
    assert np.exp(distribution.log_p).sum() == pytest.approx(1.0, abs=1e-12)
    for number, weight in weights.items():
        assert distribution.log_p[number] == pytest.approx(math.log(weight / z), abs=1e-10)


@pytest.mark.parametrize(("n_visible", "n_hidden"), [(9, 4), (9, 12)])  # sums over h, over v
def test_exact_gradient_is_autograds_gradient_of_the_exact_log_likelihood(n_visible, n_hidden):
    rbm = random_rbm(n_visible, n_hidden, 0.7)
    codes, p = BARS.distribution()
    gradient = exact_gradient(rbm, codes, p)
    for parameter in rbm.parameters():
        parameter.requires_grad_(True)
    exact_log_likelihood(rbm, codes, p).backward()
    for mine, parameter in zip(gradient, (rbm.W, rbm.b, rbm.c), strict=True):
        assert torch.allclose(mine, parameter.grad, atol=1e-12)
    # and the distribution agrees with the differentiable log-likelihood
    value = exact_distribution(rbm).log_likelihood(codes, p)
    assert value == pytest.approx(float(exact_log_likelihood(rbm, codes, p).detach()), abs=1e-10)


def test_kl_is_zero_only_at_the_data_and_equals_minus_entropy_minus_log_likelihood():
    rbm = random_rbm(9, 4, 0.5)
    codes, p = BARS.distribution()
    distribution = exact_distribution(rbm)
    kl = distribution.kl_divergence(codes, p)
    assert kl > 0.5
    assert kl == pytest.approx(-BARS.entropy() - distribution.log_likelihood(codes, p))


def test_cd_k_estimates_approach_the_exact_gradient_as_k_grows():
    """A model with large weights mixes slowly: CD-1's chains stay near the data and its
    average estimate is far from the exact gradient; with more Gibbs steps the bias falls to
    the noise left after averaging (fixed seed, 400 batches)."""
    rbm = random_rbm(9, 6, 2.0, seed=3)
    _, qualities = compare_estimates(
        rbm, BARS, [("CD-1", 1, False), ("CD-3", 3, False), ("CD-10", 10, False)], n_batches=400
    )
    cd1, cd3, cd10 = qualities
    assert cd1.relative_bias > 3 * cd10.relative_bias
    assert cd1.relative_bias > cd3.relative_bias > cd10.relative_bias
    assert cd10.relative_bias < 2 * cd10.noise_floor  # what is left is noise
    assert cd1.cosine_single < cd3.cosine_single <= cd10.cosine_single + 0.01
    assert cd10.cosine_average > 0.99


def test_pcd_with_warm_chains_estimates_without_cd_1s_bias():
    rbm = random_rbm(9, 6, 2.0, seed=3)
    _, (cd1, pcd) = compare_estimates(rbm, BARS, [("CD-1", 1, False), ("PCD-1", 1, True)])
    assert pcd.relative_bias < cd1.relative_bias / 3


def test_exact_gradient_ascent_raises_the_log_likelihood_at_every_step():
    job = ExactRBMJob(
        BARS, ExactSettings(hidden_units=6, method="exact", learning_rate=0.05), False
    )
    job.yours.rbm.load_state_dict(random_rbm(9, 6, 0.5).state_dict())  # away from the saddle
    values = [job.measure()["log_likelihood"]]
    for _ in range(200):
        values.append(job.train_step()["log_likelihood"])
    assert all(b >= a - 1e-12 for a, b in zip(values, values[1:], strict=False))
    assert values[-1] > values[0] + 0.3


@pytest.mark.parametrize("persistent", [False, True])
def test_slow_motion_is_the_trainers_update_number_for_number(persistent):
    rbm = random_rbm(9, 5, 0.5)
    batch = torch.from_numpy(BARS.images[:8]).double()
    trained = copy.deepcopy(rbm)
    trainer = RBMTrainer(trained, learning_rate=0.3, k=3, persistent=persistent, seed=5)
    chains = None
    if persistent:
        trainer.persistent_hidden = chains = torch.zeros(100, 5, dtype=torch.float64)
    update = slow_motion_update(rbm, batch, 3, 0.3, RandomSource(5), chains)
    trainer.step(batch, compute_metrics=False)
    for before, after, change in zip(
        (rbm.W, rbm.b, rbm.c), (trained.W, trained.b, trained.c), update.update, strict=True
    ):
        assert torch.allclose(after - before, change, atol=1e-14)
    assert len(update.chain_samples) == 3
    assert update.cost == pytest.approx(
        update.free_energy_data.mean() - update.free_energy_model.mean()
    )
    assert np.allclose(update.positive, update.hidden_probabilities.T @ update.v / len(update.v))


def test_the_race_starts_every_learner_alike_and_yours_matches_its_reference():
    job = ExactRBMJob(BARS, ExactSettings(hidden_units=4, method="CD", k=1, steps=30))
    first = job.measure()
    assert len({round(v, 12) for k, v in first.items() if k.startswith("log_likelihood")}) == 1
    for _ in range(30):
        record = job.train_step()
    assert record["log_likelihood"] == record["log_likelihood CD-1"]  # same seed, same batches
    assert record["log_likelihood PCD-1"] != record["log_likelihood CD-1"]
    assert record["kl"] == pytest.approx(-BARS.entropy() - record["log_likelihood"])
    assert "30 updates" in job.done


def test_a_slow_motion_pcd_update_moves_the_chains_on_and_the_race_steps_with_it():
    job = ExactRBMJob(shifted_squares(), ExactSettings(hidden_units=3))
    job.apply(ExactSettings(hidden_units=3, method="PCD", k=2, learning_rate=0.5))
    assert job.yours.trainer.persistent and job.yours.trainer.k == 2
    job.train_step()
    chains_before = job.yours.trainer.persistent_hidden.clone()
    update = job.slow_motion()
    assert update.persistent and len(update.chain_samples) == 2
    assert update.next_chains.shape == chains_before.shape
    references = {name: learner.rbm.W.clone() for name, learner in job.references.items()}
    job.take_update(update)
    assert torch.equal(job.yours.trainer.persistent_hidden, torch.from_numpy(update.next_chains))
    assert not torch.equal(job.yours.trainer.persistent_hidden, chains_before)
    # every learner of the race stepped on the slow motion's batch: the race stays aligned
    for name, learner in job.references.items():
        assert not torch.equal(learner.rbm.W, references[name]), name
    assert job.steps_done == 2


def test_with_exact_ascent_the_slow_motion_applies_the_exact_step():
    job = ExactRBMJob(BARS, ExactSettings(hidden_units=4, method="exact", learning_rate=0.3), False)
    job.train_step()
    update = job.slow_motion()
    codes, p = BARS.distribution()
    exact = exact_gradient(job.rbm, codes, p)
    assert torch.allclose(update.exact_update.W, 0.3 * exact.W)
    before = job.rbm.W.clone()
    job.take_update(update)
    assert torch.allclose(job.rbm.W - before, 0.3 * exact.W)
    assert not torch.allclose(update.update.W, update.exact_update.W)  # CD's differs


def test_settings_out_of_range_are_refused():
    job = ExactRBMJob(BARS, ExactSettings(hidden_units=3), compare=False)
    with pytest.raises(ValueError, match="at most 12"):
        ExactRBMJob(BARS, ExactSettings(hidden_units=13))
    with pytest.raises(ValueError, match="method"):
        job.apply(ExactSettings(method="magic"))


def test_the_pictures_draw_what_they_are_given():
    job = ExactRBMJob(BARS, ExactSettings(hidden_units=4), compare=False)
    pictures = job.pictures()
    assert np.exp(pictures["log_p"]).sum() == pytest.approx(1.0)
    root, ns = parsed_svg(
        energy_levels_svg(pictures["free_energy"], BARS.distribution()[0], title="F")
    )
    assert len(root.findall(f"{ns}circle")) == 14 + 1  # every data state, and the legend's dot
    root, ns = parsed_svg(heatmap_svg(np.ones((3, 5)), title="h", row_label="r", column_label="c"))
    assert len(root.findall(f"{ns}rect")) == 1 + 15  # the background and one cell each
    images = BARS.images[:2]
    root, ns = parsed_svg(image_rows_svg([("data", images, ["a", "b"])], (3, 3)))
    on_pixels = int(images.sum())
    assert len(root.findall(f"{ns}rect")) == 1 + 2 + on_pixels  # background, frames, pixels
