"""Runs train on a CUDA GPU when torch sees one: the device's choice, and the RBM and GAN jobs
with every view they give a page, on each device this machine has (CUDA's skip without one)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from core.devices import (
    DEVICE_VARIABLE,
    device_name,
    resolve_device,
    training_device,
)
from core.gan.trainer import GANConfig, checkpoint_bytes, load_checkpoint_bytes
from core.judge.classifier import classifier_path, load_classifier
from core.rbm.model import checkpoint_bytes as rbm_checkpoint_bytes
from core.rbm.model import load_checkpoint_bytes as load_rbm_checkpoint_bytes
from core.training.gan_job import GANJob
from core.training.rbm_job import RBMJob, RBMJobSettings
from core.training.runs import TrainingRun
from core.training.slots import SlotPool
from pages.kit.live import status_fields
from serving.memory import device_memory
from tests.helpers import fresh_page, wait_for

CUDA = torch.cuda.is_available()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not CUDA, reason="no CUDA"))]


def test_auto_picks_cuda_exactly_when_torch_sees_it():
    assert resolve_device("auto").type == ("cuda" if CUDA else "cpu")
    assert resolve_device(None) == resolve_device("auto")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("asked", ["tpu", "gpu", "cuda:x", "mps"])
def test_a_device_that_is_no_device_here_is_refused_with_the_choices(asked):
    with pytest.raises(ValueError, match="'auto', 'cpu', 'cuda' or 'cuda:N'"):
        resolve_device(asked)


def test_cuda_asked_for_where_there_is_none_says_so():
    asked = "cuda:99" if CUDA else "cuda"
    with pytest.raises(ValueError, match="CUDA"):
        resolve_device(asked)


def test_the_server_variable_chooses_and_a_bad_one_is_named(monkeypatch):
    monkeypatch.delenv(DEVICE_VARIABLE, raising=False)
    assert training_device() == resolve_device("auto")
    monkeypatch.setenv(DEVICE_VARIABLE, "cpu")
    assert training_device() == torch.device("cpu")
    monkeypatch.setenv(DEVICE_VARIABLE, "tpu")
    with pytest.raises(ValueError, match=f"{DEVICE_VARIABLE}='tpu'"):
        training_device()


def test_the_cpu_goes_unnamed_and_a_gpu_by_its_name():
    assert device_name(None) == device_name("cpu") == ""
    if CUDA:
        assert device_name("cuda:0") == f"CUDA GPU 0, {torch.cuda.get_device_name(0)}"


def small_rbm_job(digits, device, **settings) -> RBMJob:
    settings = RBMJobSettings(**{"hidden_units": 16, "batch_size": 50, "epochs": 5, **settings})
    return RBMJob(digits, settings, device=device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("persistent", [False, True])
def test_an_rbm_job_trains_on_its_device_and_every_view_comes_back_as_numpy(
    digits, device, persistent
):
    job = small_rbm_job(digits, device, persistent=persistent)
    assert job.rbm.W.device.type == job.train.device.type == device
    records = [job.train_step() for _ in range(3)]
    assert all(np.isfinite(value) for record in records for value in record.values())
    assert "log_likelihood_validation" not in records[0]  # 16 hidden: beyond exact
    pictures = job.pictures()
    assert pictures["filters"].shape == (16, 64)
    assert all(isinstance(picture, np.ndarray) for picture in pictures.values())
    views = job.latent_views(n=100)
    assert views["activations"].shape == (64, 16) and views["projection"].shape == (100, 2)
    energies = job.free_energy_samples(n=20, gibbs_steps=3)
    assert all(values.shape == (20,) for values in energies.values())
    for start in ("noise", "digit"):
        frames = job.gibbs_frames(start, digit=3, k=4, n_chains=5)
        assert len(frames) == 5 and frames[-1].shape == (5, 64)
    assert job.dreams("annealed", n=6, steps=20).shape == (6, 64)
    if persistent:
        assert job.dreams("persistent", n=6).shape == (6, 64)
    estimate = job.estimate_log_likelihood(n_betas=30)
    assert np.isfinite(estimate["ais_log_likelihood_validation"])


@pytest.mark.parametrize("device", DEVICES)
def test_an_rbm_checkpoint_from_any_device_loads_on_the_cpu(digits, device):
    job = small_rbm_job(digits, device)
    for _ in range(3):
        job.train_step()
    data = rbm_checkpoint_bytes(job.rbm, steps=3)
    saved = torch.load(io.BytesIO(data), weights_only=True)  # no map_location needed
    assert saved["state_dict"]["W"].device == torch.device("cpu")
    rbm, _ = load_rbm_checkpoint_bytes(data)
    on_cpu = small_rbm_job(digits, "cpu")
    step, metrics = on_cpu.load_weights(rbm, steps=3)
    assert step == 3 and np.isfinite(metrics["free_energy_validation"])
    assert torch.equal(on_cpu.rbm.W, job.rbm.W.cpu())


def small_gan_config() -> GANConfig:
    return GANConfig(
        n_pixels=64,
        noise_dim=8,
        generator_hidden=(32,),
        discriminator_hidden=(32,),
        batch_size=32,
        average_decay=0.9,
    )


@pytest.mark.parametrize("device", DEVICES)
def test_a_gan_job_trains_on_its_device_and_is_judged_on_the_cpu(digits, device):
    classifier = load_classifier(classifier_path((8, 8)))
    job = GANJob(digits, small_gan_config(), classifier=classifier, device=device)
    assert job.trainer.data.device.type == device
    assert next(job.trainer.generator.parameters()).device.type == device
    records = [job.train_step() for _ in range(3)]
    assert "confident_share" in records[0]  # measured at the first step
    assert all(np.isfinite(value) for value in records[-1].values())
    pictures = job.pictures()
    assert pictures["fixed_noise"].shape == (64, 64)
    assert pictures["real images"].shape == pictures["generated images"].shape == (256,)
    z = job.trainer.sample_noise(2).cpu().numpy()
    assert job.trainer.interpolate(z[0], z[1], steps=4).shape == (4, 64)
    data = checkpoint_bytes(job.trainer, steps=3)
    on_cpu = GANJob(digits, small_gan_config())
    step, _ = on_cpu.load(load_checkpoint_bytes(data, small_gan_config()))
    assert step == 3
    np.testing.assert_allclose(
        on_cpu.trainer.fixed_samples(), job.trainer.fixed_samples(), atol=1e-4
    )


@pytest.mark.parametrize("device", DEVICES)
def test_a_run_says_which_device_it_trains_on(digits, device):
    run = TrainingRun(
        small_rbm_job(digits, device, epochs=200), slots=SlotPool(1, worker_threads=1)
    )
    run.start()
    try:
        wait_for(lambda: run.snapshot(history=False).steps > 5)
        snapshot = run.snapshot(history=False)
        rest = status_fields(run, snapshot, "", None, None)["rest"]
        if device == "cpu":
            assert snapshot.device == "" and "CPU thread" in rest
        else:
            assert snapshot.device == device_name(device)
            assert f"on {snapshot.device}" in rest and "CPU thread" not in rest
    finally:
        run.close()


@pytest.mark.slow
def test_a_bad_device_variable_stops_the_page_with_its_name(monkeypatch):
    monkeypatch.setenv(DEVICE_VARIABLE, "tpu")
    app = fresh_page("../pages/rbm.py")
    assert not app.exception
    assert any(f"{DEVICE_VARIABLE}='tpu'" in error.value for error in app.error)


def test_a_full_gpu_gives_a_message_not_a_traceback():
    def page():
        import streamlit as st
        import torch

        from pages.kit.session import new_job

        def full(device):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

        new_job(full)
        st.write("not reached")

    app = AppTest.from_function(page, default_timeout=30).run()
    assert not app.exception
    assert "GPU's memory is full" in app.error[0].value
    assert not app.markdown


def test_a_gpus_memory_is_measured_for_the_cap_and_the_cpus_is_left_to_core_memory():
    assert device_memory("cpu") is None
    if not CUDA:
        pytest.skip("no CUDA")
    before = device_memory("cuda")
    free, total = torch.cuda.mem_get_info()
    assert before.limit == total and 0 < before.used <= total
    assert abs(before.left - free) < 2**30  # other processes may allocate between the reads
    assert before.source.startswith("CUDA GPU")
    held = torch.empty(2**30, dtype=torch.uint8, device="cuda")
    assert device_memory("cuda").used >= before.used + 2**30 * 0.9
    del held  # freed, but kept by torch's cache for this process's next tensors: free to runs
    assert device_memory("cuda").used <= before.used + 2**30 * 0.1
    torch.cuda.empty_cache()


def test_a_full_gpu_refuses_a_new_run_and_names_it(monkeypatch):
    """On the CPU too: the page's check, with the GPU's memory as device_memory reads it."""
    from serving.memory import Memory

    def page():
        import streamlit as st

        from pages.kit.session import new_job

        new_job(lambda device: st.write("made"))

    full = Memory(130 * 2**30, 140 * 2**30, "CUDA GPU 0, a test GPU")
    monkeypatch.setattr("pages.kit.session.device_memory", lambda device: full)
    refused = AppTest.from_function(page, default_timeout=60).run()
    assert not refused.exception and not refused.markdown
    assert refused.error[0].value.startswith("The GPU (CUDA GPU 0, a test GPU) is near its")
    roomy = Memory(10 * 2**30, 140 * 2**30, "CUDA GPU 0, a test GPU")
    monkeypatch.setattr("pages.kit.session.device_memory", lambda device: roomy)
    made = AppTest.from_function(page, default_timeout=60).run()
    assert not made.error and made.markdown[0].value == "made"
