"""The Bernoulli sampler that the RBM's training and AIS draw from."""

from __future__ import annotations

import os
import sys
import time

import pytest
import torch

from core.sampling import RandomSource, bernoulli


@pytest.mark.parametrize("n_rows", [10, 400])  # one stream, and the two-thread path
def test_frequencies_match_probabilities(n_rows):
    probabilities = torch.linspace(0.0, 1.0, 1000).repeat(n_rows, 1)
    assert probabilities.numel() < 1 << 17 or n_rows == 400
    samples = RandomSource(seed=3).bernoulli(probabilities)
    assert samples.dtype == torch.float32 and set(samples.unique().tolist()) <= {0.0, 1.0}
    assert samples[:, 0].sum() == 0 and samples[:, -1].sum() == n_rows  # p = 0 and p = 1
    blocks = probabilities.reshape(n_rows, 10, 100).mean(dim=(0, 2))
    observed = samples.reshape(n_rows, 10, 100).mean(dim=(0, 2))
    tolerance = 5 * (0.25 / (n_rows * 100)) ** 0.5  # five standard errors
    torch.testing.assert_close(observed, blocks, atol=tolerance, rtol=0)


def test_same_seed_same_draws_and_float64():
    p = torch.full((300, 500), 0.3, dtype=torch.float64)
    first = RandomSource(seed=7).bernoulli(p)
    assert first.dtype == torch.float64
    torch.testing.assert_close(first, RandomSource(seed=7).bernoulli(p))
    assert not torch.equal(first, RandomSource(seed=8).bernoulli(p))
    generator = torch.Generator().manual_seed(0)
    assert bernoulli(p, generator).mean().item() == pytest.approx(0.3, abs=0.01)


@pytest.mark.parametrize("n_rows", [10, 400])  # one stream, and the two-thread path
def test_draws_into_rows_of_a_larger_array_are_the_same_draws(n_rows):
    p = torch.rand(n_rows, 784, generator=torch.Generator().manual_seed(1))
    rows = torch.full((n_rows + 3, 784), 7.0)
    into = RandomSource(seed=5).bernoulli(p, out=rows[3:])
    assert into.data_ptr() == rows[3:].data_ptr()  # written in place, not copied in
    torch.testing.assert_close(rows[3:], RandomSource(seed=5).bernoulli(p), rtol=0, atol=0)
    assert (rows[:3] == 7.0).all()  # and nothing outside its rows
    wide = torch.zeros(n_rows, 800, dtype=torch.float64)
    with pytest.raises(ValueError, match="contiguous"):  # numpy would fill a copy of it
        RandomSource(seed=5).bernoulli(p.double(), out=wide[:, :784])
    with pytest.raises(ValueError, match="contiguous"):
        RandomSource(seed=5).bernoulli(p, out=wide[:, :784].contiguous())  # float64 for float32
    with pytest.raises(ValueError, match="not hold the probabilities"):
        RandomSource(seed=5).bernoulli(p, out=p)


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="needs fork")
def test_sampling_works_in_a_forked_child():
    source = RandomSource(seed=1)
    source.uniform((400, 1000), torch.float32)  # start the fill threads before forking
    pid = os.fork()
    if pid == 0:  # the child: the threads are gone, the sampler must still work
        ok = False
        try:
            ok = source.uniform((400, 1000), torch.float32).shape == (400, 1000)
        finally:
            os._exit(0 if ok else 1)
    deadline_checks = 0
    while deadline_checks < 100:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        deadline_checks += 1
        time.sleep(0.1)
    os.kill(pid, 9)
    pytest.fail("the forked child hung while sampling")
