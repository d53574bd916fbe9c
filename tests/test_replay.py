"""The recorded runs that ship beside the pretrained models: they load, go from noise to digits
by the reference judge, end at the model that ships, and continue from their checkpoints, in
the core and on both pages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from core.data.datasets import load_dataset, to_tanh_range
from core.data.recordings import Recording, frame_steps, load_recording, recording_path
from core.gan.trainer import GANConfig, GANTrainer, load_checkpoint_bytes
from core.judge.classifier import classifier_path, load_classifier
from core.rbm.dreams import judge
from core.rbm.model import load_checkpoint_bytes as load_rbm_bytes
from tests.helpers import fresh_page

ASSETS = Path(__file__).resolve().parents[1] / "assets"
GAN = ASSETS / "gan_mnist-5k.pt"
RBM = ASSETS / "rbm_mnist-5k_500h_pcd.pt"


@pytest.fixture(scope="module")
def judge_net():
    return load_classifier(classifier_path((28, 28)))


@pytest.mark.parametrize("model, path", [("gan", GAN), ("rbm", RBM)])
def test_a_recording_goes_from_noise_to_digits(model, path, judge_net):
    recording = load_recording(recording_path(path), model)
    assert len(recording.steps) == 50 and recording.steps[0] == 0
    assert recording.frames[0].shape == (64, 784)
    first, last = judge(judge_net, recording.frame(0)), judge(judge_net, recording.frame(-1))
    assert first.recognised < 0.1  # noise (or blobs) at step 0
    # of many kinds: nine digits or more among the 64 (the judge of docs/judge.md rejects the
    # RBM's broken strokes that the first judge took for digits)
    assert last.recognised > 0.5 and last.classes_with(1 / 64) >= 9
    # at least two checkpoints before the end, each loadable as the pages load checkpoints
    assert len(recording.checkpoints) >= 2 and max(recording.checkpoints) < recording.steps[-1]
    for step in recording.checkpoints:
        data = recording.checkpoint_bytes(step)
        if model == "gan":
            assert load_checkpoint_bytes(data, GANConfig())["steps"] == step
        else:
            rbm, config = load_rbm_bytes(data)
            assert rbm.n_hidden == 500 and config["steps"] == step


@pytest.mark.slow
def test_the_gan_recording_ends_at_the_model_that_ships_and_continues_from_its_checkpoints():
    recording = load_recording(recording_path(GAN), "gan")
    shipped = torch.load(GAN, weights_only=True)
    assert recording.steps[-1] == shipped["steps"]
    data = to_tanh_range(load_dataset("mnist-5k").images)
    trainer = GANTrainer(GANConfig.from_dict(shipped["config"]), data)
    trainer.load_checkpoint(shipped)
    end = (trainer.fixed_samples() + 1) / 2  # the page's fixed-noise grid of the model
    assert np.abs(end - recording.frame(-1)).max() <= 1 / 255
    step = min(recording.checkpoints)
    trainer = GANTrainer(GANConfig(), data)
    trainer.load_checkpoint(load_checkpoint_bytes(recording.checkpoint_bytes(step), GANConfig()))
    middle = (trainer.fixed_samples() + 1) / 2
    assert np.abs(middle - recording.frame(recording.steps.index(step))).max() < 0.05  # half
    trainer.step()  # and it trains on
    assert all(p.dtype == torch.float32 for p in trainer.generator.parameters())


def test_frames_come_in_order_and_bad_files_are_refused(tmp_path):
    assert frame_steps(7000, 50)[:3] == [0, 20, 58] and frame_steps(7000, 50)[-1] == 7000
    with pytest.raises(ValueError, match="two frames"):
        frame_steps(7000, 1)
    recording = Recording("gan", (2, 2))
    recording.add_frame(0, np.zeros((3, 4)))
    recording.add_frame(5, np.ones((3, 4)))
    with pytest.raises(ValueError, match="order"):
        recording.add_frame(5, np.ones((3, 4)))
    with pytest.raises(ValueError, match="no recorded frame"):
        recording.add_checkpoint(3, {})
    recording.add_checkpoint(5, {"weights": torch.ones(2), "steps": 5})
    path = tmp_path / "r.pt"
    recording.save(path)
    again = load_recording(path, "gan")
    assert again.steps == [0, 5] and again.frame(1).max() == 1.0
    assert again.checkpoints[5]["weights"].dtype == torch.float16
    assert again.checkpoint_before(4) is None and again.checkpoint_before(9) == 5
    with pytest.raises(ValueError, match="not a recording of a RBM"):
        load_recording(path, "rbm")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="not a readable recording"):
        load_recording(tmp_path / "junk.pt", "gan")
    saved = torch.load(path, weights_only=True)
    torch.save({**saved, "steps": [], "frames": saved["frames"][:0]}, path)
    with pytest.raises(ValueError, match="inconsistent"):
        load_recording(path, "gan")  # nothing to replay
    saved["steps"] = [0, 5, 9]  # three steps, two frames
    torch.save(saved, path)
    with pytest.raises(ValueError, match="inconsistent"):
        load_recording(path, "gan")


def status(app) -> tuple[str, int]:
    import re

    for block in app.markdown:
        match = re.search(r"\*\*(\w+)\*\* — step \*\*(\d+)\*\*", block.value)
        if match:
            return match.group(1), int(match.group(2))
    raise AssertionError("no status line")


@pytest.mark.slow
@pytest.mark.parametrize("page, model, path", [("gan", "gan", GAN), ("rbm", "rbm", RBM)])
def test_a_page_replays_the_run_and_continues_from_a_checkpoint(page, model, path):
    app = fresh_page(f"../pages/{page}.py")
    expander = [e for e in app.expander if e.label.startswith("Replay: the pretrained")]
    assert len(expander) == 1
    slider = app.select_slider(key=f"{model}_replay_step")
    assert slider.value == 0
    assert any("after 0 steps" in c for image in app.get("image") for c in image.captions)
    continue_button = app.button(key=f"{model}_replay_continue")
    assert continue_button.disabled  # no checkpoint at step 0
    recording = load_recording(recording_path(path), model)
    step = min(recording.checkpoints)
    later = recording.steps[recording.steps.index(step) + 1]
    slider.set_value(later).run()
    assert any(f"after {later:,} steps" in c for image in app.get("image") for c in image.captions)
    continue_button = app.button(key=f"{model}_replay_continue")
    assert continue_button.label == f"Continue training from step {step:,}"
    continue_button.click().run()
    assert not app.exception
    assert any(f"at step {step:,}" in block.value for block in app.success)
    assert status(app) == ("Paused", step)
