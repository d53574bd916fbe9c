"""The RBM: its maths against brute force, its likelihoods, training, and input checking."""

from __future__ import annotations

import io
import itertools
import pickle

import numpy as np
import pytest
import torch

from core.data.datasets import binarize, load_dataset
from core.rbm.likelihood import annealing_schedule, log_partition_ais
from core.rbm.model import RBM, checkpoint_bytes, load_checkpoint_bytes
from core.rbm.trainer import FINITE_BOUND, RBMTrainer, TrainingDivergedError
from core.sampling import RandomSource


def _all_binary(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)), dtype=torch.float64)


def _random_rbm(n_visible: int, n_hidden: int, seed: int = 0, scale: float = 1.0) -> RBM:
    rbm = RBM(n_visible, n_hidden, weight_scale=scale, seed=seed, dtype=torch.float64)
    generator = torch.Generator().manual_seed(seed + 1)
    rbm.b.copy_(torch.randn(n_visible, generator=generator, dtype=torch.float64))
    rbm.c.copy_(torch.randn(n_hidden, generator=generator, dtype=torch.float64))
    return rbm


@pytest.fixture(scope="module")
def binary_digits() -> np.ndarray:
    return binarize(load_dataset("digits").images)


def test_free_energy_is_minus_log_sum_over_h_of_exp_minus_energy():
    rbm = _random_rbm(7, 5)
    v = _all_binary(7)
    h = _all_binary(5)
    pairs_v = v.repeat_interleave(len(h), dim=0)
    pairs_h = h.repeat(len(v), 1)
    energies = rbm.energy(pairs_v, pairs_h).reshape(len(v), len(h))
    brute_force = -torch.logsumexp(-energies, dim=1)
    torch.testing.assert_close(rbm.free_energy(v), brute_force, rtol=1e-12, atol=1e-12)
    # And the energy itself matches E(v,h) = -bᵀv - cᵀh - hᵀWv written out.
    i, j = 37, 11
    expected = -(rbm.b @ v[i]) - (rbm.c @ h[j]) - h[j] @ rbm.W @ v[i]
    torch.testing.assert_close(energies[i, j], expected)


def test_conditionals_are_the_ratios_of_the_joint():
    rbm = _random_rbm(4, 3, seed=2)
    v = _all_binary(4)
    h = _all_binary(3)
    joint = torch.exp(-rbm.energy(v.repeat_interleave(8, 0), h.repeat(16, 1))).reshape(16, 8)
    p_h_given_v = joint / joint.sum(dim=1, keepdim=True)
    marginal_h1 = (p_h_given_v * h[:, 0]).sum(dim=1)  # P(h_0 = 1 | v)
    torch.testing.assert_close(rbm.hidden_probabilities(v)[:, 0], marginal_h1)
    p_v_given_h = joint / joint.sum(dim=0, keepdim=True)
    marginal_v2 = (p_v_given_h * v[:, 2:3]).sum(dim=0)  # P(v_2 = 1 | h)
    torch.testing.assert_close(rbm.visible_probabilities(h)[:, 2], marginal_v2)


@pytest.mark.parametrize("n_visible,n_hidden", [(9, 4), (4, 9)])
def test_exact_log_partition_matches_brute_force(n_visible, n_hidden):
    rbm = _random_rbm(n_visible, n_hidden, seed=n_visible)
    v = _all_binary(n_visible)
    h = _all_binary(n_hidden)
    energies = rbm.energy(
        v.repeat_interleave(len(h), dim=0), h.repeat(len(v), 1)
    )  # every (v, h) pair
    brute_force = torch.logsumexp(-energies, dim=0).item()
    assert rbm.log_partition_exact() == pytest.approx(brute_force, abs=1e-10)
    # The probabilities of all visible states sum to one.
    log_p = -rbm.free_energy(v) - rbm.log_partition_exact()
    assert torch.logsumexp(log_p, dim=0).item() == pytest.approx(0.0, abs=1e-10)


def test_exact_log_partition_refuses_large_models_clearly():
    rbm = RBM(784, 30)
    with pytest.raises(ValueError, match=r"2\*\*30 states.*log_partition_ais"):
        rbm.log_partition_exact()


def test_ais_can_be_cancelled_through_its_progress_callback():
    rbm = RBM(30, 10, seed=0)
    seen = []

    def progress(fraction):
        seen.append(fraction)
        if fraction > 0.3:
            raise KeyboardInterrupt("stop")

    with pytest.raises(KeyboardInterrupt):
        rbm.log_partition_ais(n_runs=10, n_betas=2000, progress=progress)
    assert 0.3 < seen[-1] < 0.4 and seen == sorted(seen)


def test_ais_lands_within_its_error_bars_of_the_exact_value(binary_digits):
    rbm = RBM(64, 14, seed=0)
    trainer = RBMTrainer(rbm, learning_rate=0.1, k=1, seed=0)
    data = torch.from_numpy(binary_digits)
    for _epoch in range(3):
        for start in range(0, len(data), 50):
            trainer.step(data[start : start + 50], compute_metrics=False)
    exact = rbm.log_partition_exact()
    estimate = rbm.log_partition_ais(data=binary_digits, n_runs=200, n_betas=3000, seed=1)
    assert estimate.log_z_low <= exact <= estimate.log_z_high
    assert estimate.log_z_high - estimate.log_z_low < 0.5
    assert estimate.log_z == pytest.approx(exact, abs=0.25)
    # The base-rate model's log Z is far off, many interval widths away: no trivial agreement.
    assert abs(exact - estimate.log_z_base) > 20 * (estimate.log_z_high - estimate.log_z_low)


def test_ais_schedule_is_increasing_from_zero_to_one():
    for n_betas in (3, 29, 30, 1000, 14_500):
        betas = annealing_schedule(n_betas)
        assert len(betas) == n_betas
        assert betas[0] == 0 and betas[-1] == 1
        assert torch.all(betas[1:] > betas[:-1])
    betas = annealing_schedule(14_500)
    assert (betas < 0.5).sum() == 500 and (betas >= 0.9).sum() == 10_000  # the paper's shares
    with pytest.raises(ValueError):
        log_partition_ais(torch.zeros(2, 3), torch.zeros(3), torch.zeros(2), n_runs=1)


def test_training_on_digits_raises_the_true_log_likelihood(binary_digits):
    rbm = RBM(64, 16, seed=0)
    data = torch.from_numpy(binary_digits)
    before = rbm.average_log_likelihood(data, rbm.log_partition_exact())
    trainer = RBMTrainer(rbm, learning_rate=0.05, k=1, momentum=0.5, seed=0)
    history = []
    for _epoch in range(5):
        for start in range(0, len(data), 20):
            history.append(trainer.step(data[start : start + 20]))
    after = rbm.average_log_likelihood(data, rbm.log_partition_exact())
    assert before == pytest.approx(-64 * np.log(2), abs=0.5)  # near-uniform at the start
    assert after > before + 15
    first = np.mean([m.pseudo_log_likelihood for m in history[:20]])
    last = np.mean([m.pseudo_log_likelihood for m in history[-20:]])
    assert last > first + 5
    assert np.mean([m.reconstruction_error for m in history[-20:]]) < np.mean(
        [m.reconstruction_error for m in history[:20]]
    )


@pytest.mark.parametrize("persistent", [False, True])
def test_cd_and_pcd_with_k_steps_learn(binary_digits, persistent):
    rbm = RBM(64, 16, seed=1)
    data = torch.from_numpy(binary_digits)
    before = rbm.average_log_likelihood(data, rbm.log_partition_exact())
    trainer = RBMTrainer(
        rbm,
        learning_rate=0.05,
        k=3,
        persistent=persistent,
        weight_decay=1e-4,
        seed=1,
        n_persistent_chains=40,
    )
    for _epoch in range(4):
        for start in range(0, len(data), 40):
            trainer.step(data[start : start + 40], compute_metrics=False)
    after = rbm.average_log_likelihood(data, rbm.log_partition_exact())
    assert after > before + 10
    if persistent:
        assert trainer.persistent_hidden.shape == (40, 16)


def test_update_follows_minus_the_gradient_of_the_surrogate_cost():
    """One CD-1 step moves W, b, c by -lr * ∂/∂θ [mean F(v) - mean F(v̂)], v̂ held fixed."""
    rbm = _random_rbm(6, 4, seed=5, scale=0.5)
    v = (torch.rand(8, 6, generator=torch.Generator().manual_seed(0)) > 0.5).double()
    before = {name: p.detach().clone() for name, p in rbm.named_parameters()}
    trainer = RBMTrainer(rbm, learning_rate=0.1, k=1, seed=3)
    # Replay the trainer's chain with the same random stream to recover its v̂.
    replay = RBMTrainer(_random_rbm(6, 4, seed=5, scale=0.5), learning_rate=0.1, k=1, seed=3)
    h = replay.random.bernoulli(torch.sigmoid(torch.addmm(before["c"], v, before["W"].t())))
    v_model = replay.random.bernoulli(torch.sigmoid(torch.addmm(before["b"], h, before["W"])))
    trainer.step(v, compute_metrics=False)

    params = {name: tensor.clone().requires_grad_(True) for name, tensor in before.items()}

    def free_energy(x):
        return -(x @ params["b"]) - torch.nn.functional.softplus(
            x @ params["W"].t() + params["c"]
        ).sum(dim=1)

    surrogate = free_energy(v).mean() - free_energy(v_model).mean()
    surrogate.backward()
    for name, parameter in rbm.named_parameters():
        expected = before[name] - 0.1 * params[name].grad
        torch.testing.assert_close(parameter.detach(), expected, rtol=1e-10, atol=1e-12)


def _textbook_steps(rbm, batches, random, *, persistent, k, chains, momentum, decay, metrics):
    """CD-k / PCD-k with momentum and weight decay as written in Hinton's guide, drawing the
    same random numbers in the same order as RBMTrainer.step: its reference."""
    W, b, c = (rbm.W.detach().clone(), rbm.b.detach().clone(), rbm.c.detach().clone())
    velocity = [torch.zeros_like(W), torch.zeros_like(b), torch.zeros_like(c)]
    held = torch.zeros(chains, W.shape[0], dtype=W.dtype)
    for v in batches:
        h_data = torch.sigmoid(v @ W.t() + c)
        h = held if persistent else random.bernoulli(h_data)
        for step in range(k):
            v_model = random.bernoulli(torch.sigmoid(h @ W + b))
            if step < k - 1:
                h = random.bernoulli(torch.sigmoid(v_model @ W.t() + c))
        h_model = torch.sigmoid(v_model @ W.t() + c)
        if persistent:
            held = random.bernoulli(h_model)
        if metrics and (persistent or k > 1):
            random.bernoulli(h_data)  # the reconstruction metric's draw
        n, m = len(v), len(v_model)
        deltas = (
            0.1 * (h_data.t() @ v / n - h_model.t() @ v_model / m - decay * W),
            0.1 * (v.mean(0) - v_model.mean(0)),
            0.1 * (h_data.mean(0) - h_model.mean(0)),
        )
        for i, (parameter, delta) in enumerate(zip((W, b, c), deltas, strict=True)):
            velocity[i] = momentum * velocity[i] + delta
            parameter += velocity[i]
    return W, b, c


@pytest.mark.parametrize(
    "persistent, k, chains, momentum, decay, metrics",
    [
        (True, 1, 5, 0.5, 0.01, False),  # fewer chains than rows in a batch
        (True, 2, 8, 0.0, 0.01, True),
        (False, 2, 8, 0.9, 0.0, False),
        (False, 1, 8, 0.0, 0.001, True),
    ],
)
def test_every_update_is_the_textbook_one(persistent, k, chains, momentum, decay, metrics):
    """The data's rows and the chains' rows go through one product per term of the update
    (RBMTrainer stacks them); three updates land where the textbook's do."""
    generator = torch.Generator().manual_seed(4)
    batches = [(torch.rand(8, 6, generator=generator) > 0.5).double() for _ in range(3)]
    rbm = _random_rbm(6, 4, seed=2, scale=0.5)
    trainer = RBMTrainer(
        rbm,
        learning_rate=0.1,
        k=k,
        persistent=persistent,
        momentum=momentum,
        weight_decay=decay,
        n_persistent_chains=chains,
        seed=9,
    )
    expected = _textbook_steps(
        _random_rbm(6, 4, seed=2, scale=0.5),
        batches,
        RandomSource(9),
        persistent=persistent,
        k=k,
        chains=chains,
        momentum=momentum,
        decay=decay,
        metrics=metrics,
    )
    for v in batches:
        trainer.step(v, compute_metrics=metrics)
    for parameter, reference in zip((rbm.W, rbm.b, rbm.c), expected, strict=True):
        torch.testing.assert_close(parameter.detach(), reference, rtol=1e-10, atol=1e-12)
    copied = pickle.loads(pickle.dumps(trainer))  # without the arrays kept for one batch size
    assert trainer._cache and not copied._cache
    for twin in (trainer, copied):
        twin.step(batches[0], compute_metrics=metrics)
    for parameter, twin in zip(rbm.parameters(), copied.rbm.parameters(), strict=True):
        torch.testing.assert_close(parameter, twin, rtol=0, atol=0)


def test_rows_of_the_data_train_as_the_same_rows_gathered_first():
    data = (torch.rand(50, 12, generator=torch.Generator().manual_seed(2)) > 0.5).float()
    gathered, in_place = (
        RBMTrainer(RBM(12, 5, seed=1), learning_rate=0.1, persistent=True, seed=3) for _ in range(2)
    )
    for start in (0, 10, 20):
        rows = torch.randperm(50, generator=torch.Generator().manual_seed(start))[:10]
        gathered.step(data[rows], compute_metrics=False, checked=True)
        in_place.step(data, rows=rows, compute_metrics=False, checked=True)
    for one, other in zip(gathered.rbm.parameters(), in_place.rbm.parameters(), strict=True):
        torch.testing.assert_close(one, other, rtol=0, atol=0)
    assert not torch.equal(gathered.rbm.W, RBM(12, 5, seed=1).W)  # and they did train


def test_a_steps_metrics_are_those_of_the_model_before_it():
    """The surrogate F(v) − F(v̂) and the reconstruction error of CD-1, from the update's own
    chain (replayed with the same random numbers), before the update moves the model."""
    rbm = _random_rbm(6, 4, seed=3, scale=0.5)
    v = (torch.rand(8, 6, generator=torch.Generator().manual_seed(1)) > 0.5).double()
    W, b, c = (t.detach().clone() for t in (rbm.W, rbm.b, rbm.c))
    random = RandomSource(4)
    h = random.bernoulli(torch.sigmoid(v @ W.t() + c))
    v_mean = torch.sigmoid(h @ W + b)
    v_model = random.bernoulli(v_mean)

    def free_energy(x):
        return -(x @ b) - torch.nn.functional.softplus(x @ W.t() + c).sum(dim=1)

    metrics = RBMTrainer(rbm, learning_rate=0.1, seed=4).step(v)
    assert metrics.surrogate_cost == pytest.approx(
        float(free_energy(v).mean() - free_energy(v_model).mean()), rel=1e-10
    )
    assert metrics.reconstruction_error == pytest.approx(float(((v - v_mean) ** 2).mean()))
    assert not torch.equal(rbm.W.detach(), W)  # and the update was made


def test_batches_of_many_sizes_keep_one_array_of_each_kind():
    """The arrays an update keeps for the next are for the last batch size only: a caller
    whose batches vary in size (partial_fit, say) does not pile them up."""
    rbm = RBM(30, 7, seed=0)
    trainer = RBMTrainer(rbm, learning_rate=0.05, seed=0)
    for n in range(1, 40):
        trainer.step((torch.rand(n, 30) > 0.5).float(), compute_metrics=n % 2 == 0)
    kept = {name: value for name, (_, value) in trainer._cache.items()}
    assert set(kept) == {"visible", "hidden input", "hidden", "ones", "row weights"}
    assert kept["visible"].all.shape == (2 * 39, 30) and kept["ones"].shape == (2 * 39,)
    assert kept["hidden"].all.shape == (2 * 38, 7)  # the last batch with its metrics
    # a trainer pickled before the arrays were kept by name (with "_ones_cache") still trains
    older = trainer.__getstate__()
    older.pop("_cache")
    older["_ones_cache"] = {(5, torch.float32, torch.device("cpu")): torch.ones(5)}
    revived = RBMTrainer.__new__(RBMTrainer)
    revived.__setstate__(older)
    revived.step((torch.rand(5, 30) > 0.5).float())
    assert set(revived._cache) >= {"visible", "ones"} and not hasattr(revived, "_ones_cache")


def test_gibbs_chain_returns_every_state():
    rbm = RBM(20, 8, seed=0, weight_scale=1.0)
    v0 = (torch.rand(3, 20) > 0.5).float()
    samples, probabilities = rbm.gibbs_chain(v0, k=5, generator=torch.Generator().manual_seed(0))
    assert samples.shape == probabilities.shape == (6, 3, 20)
    torch.testing.assert_close(samples[0], v0)
    assert set(torch.unique(samples).tolist()) <= {0.0, 1.0}
    assert torch.all((probabilities >= 0) & (probabilities <= 1))
    assert not torch.equal(samples[1], samples[5])
    with pytest.raises(ValueError, match="k must be a positive integer"):
        rbm.gibbs_chain(v0, k=0)


def test_sampling_frequencies_match_the_probabilities():
    rbm = _random_rbm(5, 3, seed=4)
    v = torch.ones(20000, 5, dtype=torch.float64)
    h = rbm.sample_hidden(v, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(
        h.mean(dim=0), rbm.hidden_probabilities(v[:1])[0], atol=0.015, rtol=0
    )


def test_bad_input_gets_clear_value_errors():
    rbm = RBM(10, 4)
    with pytest.raises(ValueError, match="10 visible units"):
        rbm.free_energy(torch.zeros(2, 9))
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        rbm.free_energy(torch.full((2, 10), 2.0))
    with pytest.raises(ValueError, match="NaN"):
        rbm.free_energy(torch.full((2, 10), float("nan")))
    with pytest.raises(ValueError, match="empty"):
        rbm.free_energy(torch.zeros(0, 10))
    with pytest.raises(ValueError, match="2-D"):
        rbm.free_energy(torch.zeros(2, 10, 1))
    with pytest.raises(ValueError, match="n_hidden must be a positive integer"):
        RBM(10, 0)
    with pytest.raises(ValueError, match="n_visible must be a positive integer"):
        RBM(-3, 4)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        RBMTrainer(rbm, k=0)
    with pytest.raises(ValueError, match="learning_rate"):
        RBMTrainer(rbm, learning_rate=-1)
    with pytest.raises(ValueError, match="momentum"):
        RBMTrainer(rbm, momentum=1.0)
    trainer = RBMTrainer(rbm)
    trainer.k = 0  # changed between steps, as a page would
    with pytest.raises(ValueError, match="k must be"):
        trainer.step(torch.zeros(2, 10))


def test_divergence_stops_with_a_message_and_keeps_finite_weights():
    rbm = RBM(16, 8, seed=0)
    data = (torch.rand(32, 16, generator=torch.Generator().manual_seed(1)) > 0.5).float()
    trainer = RBMTrainer(rbm, learning_rate=1e37, momentum=0.9, seed=0)
    snapshot = None
    with pytest.raises(TrainingDivergedError, match="diverged.*last finite"):
        for _ in range(1000):
            snapshot = {name: p.detach().clone() for name, p in rbm.named_parameters()}
            trainer.step(data)
    for name, parameter in rbm.named_parameters():
        assert torch.isfinite(parameter).all()
        torch.testing.assert_close(parameter.detach(), snapshot[name])


def test_learning_rate_changes_take_effect_at_the_next_step():
    rbm = RBM(16, 8, seed=0)
    data = (torch.rand(32, 16, generator=torch.Generator().manual_seed(1)) > 0.5).float()
    trainer = RBMTrainer(rbm, learning_rate=0.1, seed=0)
    trainer.step(data)
    before = rbm.W.detach().clone()
    trainer.learning_rate = 1e-12
    trainer.step(data)
    assert torch.allclose(rbm.W, before, atol=1e-9)
    assert trainer.steps_done == 2


def test_state_dict_round_trip_with_weights_only(tmp_path):
    rbm = _random_rbm(12, 5, seed=9)
    torch.save({"state_dict": rbm.state_dict(), "config": rbm.config()}, tmp_path / "rbm.pt")
    checkpoint = torch.load(tmp_path / "rbm.pt", weights_only=True)
    restored = RBM(**checkpoint["config"], dtype=torch.float64)
    restored.load_state_dict(checkpoint["state_dict"])
    v = _all_binary(12)[:100]
    torch.testing.assert_close(restored.free_energy(v), rbm.free_energy(v))
    pickle.loads(pickle.dumps(RBMTrainer(restored, seed=1)))  # a trainer can be pickled


def test_checkpoint_bytes_round_trip_and_rejections():
    rbm = _random_rbm(12, 5, seed=9).float()
    data = checkpoint_bytes(rbm, dataset="digits")
    restored, config = load_checkpoint_bytes(data)
    assert config == {"n_visible": 12, "n_hidden": 5, "dataset": "digits"}
    torch.testing.assert_close(restored.W, rbm.W)
    with pytest.raises(ValueError, match="at most"):
        load_checkpoint_bytes(data, max_bytes=100)
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint_bytes(b"garbage" * 100)
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_checkpoint_bytes(data[: len(data) // 2])  # truncated
    other = io.BytesIO()
    torch.save({"state_dict": {}}, other)
    with pytest.raises(ValueError, match="not an RBM checkpoint"):
        load_checkpoint_bytes(other.getvalue())
    broken = io.BytesIO()
    state = {name: p.detach().clone() for name, p in rbm.state_dict().items()}
    state["b"] = torch.zeros(3)
    torch.save({"kind": "rbm", "config": rbm.config(), "state_dict": state}, broken)
    with pytest.raises(ValueError, match="inconsistent"):
        load_checkpoint_bytes(broken.getvalue())
    poisoned = _random_rbm(12, 5).float()
    with torch.no_grad():
        poisoned.W[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        load_checkpoint_bytes(checkpoint_bytes(poisoned))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_trains_on_cuda(binary_digits):
    rbm = RBM(64, 16, seed=0, device="cuda")
    trainer = RBMTrainer(rbm, learning_rate=0.05, persistent=True, seed=0)
    data = torch.from_numpy(binary_digits).cuda()
    metrics = [trainer.step(data[i : i + 50]) for i in range(0, 500, 50)]
    assert rbm.W.device.type == "cuda"
    assert np.isfinite([m.pseudo_log_likelihood for m in metrics]).all()
    assert np.isfinite(rbm.log_partition_exact())


@pytest.mark.parametrize(
    "rate, momentum, decay",
    [
        (0.1, 0.0, 0.0),
        (0.1, 0.9, 1e-3),
        (5.0, 0.5, 0.0),
        (1.0, 0.0, 1.5),
        (0.5, 0.0, 5.0),
        (0.5, 0.0, 2.0),  # W's factor 0: the biases, which never decay, hold the largest value
    ],
)
def test_the_kept_bound_is_never_below_the_largest_parameter(rate, momentum, decay):
    # The bound lets an update skip the finiteness check: it must hold at every step, also
    # with weight decay past 1/rate (W's sign flips each step) and after an outside write.
    rbm = RBM(16, 8, seed=0)
    data = (torch.rand(32, 16, generator=torch.Generator().manual_seed(1)) > 0.5).float()
    trainer = RBMTrainer(rbm, learning_rate=rate, momentum=momentum, weight_decay=decay, seed=0)
    for step in range(60):
        if step == 30:  # a load writes the weights: the bound is measured afresh
            rbm.load_state_dict({**rbm.state_dict(), "W": torch.full((8, 16), 1e6)})
        trainer.step(data, compute_metrics=False)
        largest = max(float(p.abs().max()) for p in rbm.parameters())
        assert largest <= trainer._bound * (1 + 1e-6)
    assert trainer._bound < FINITE_BOUND  # ordinary settings: no update was checked


def test_weight_decay_that_blows_the_weights_up_stops_before_overflow():
    rbm = RBM(16, 8, seed=0)
    data = (torch.rand(32, 16, generator=torch.Generator().manual_seed(1)) > 0.5).float()
    trainer = RBMTrainer(rbm, learning_rate=1.0, weight_decay=10.0, seed=0)  # W ← -9 W + …
    with pytest.raises(TrainingDivergedError, match="beyond 1e\\+30"):
        for _ in range(100):
            trainer.step(data, compute_metrics=False)
    assert 1e25 < float(rbm.W.abs().max()) < FINITE_BOUND
