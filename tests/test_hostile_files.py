"""Hostile files cost nothing: every loader (RBM and GAN checkpoints, recordings, CSVs, link
values) turns whatever it is given into a result or a ValueError with a sentence, never another
exception, and a file claiming a huge model is refused before anything is allocated.

The fuzz cases mutate genuine files with hypothesis: wrong kinds, shapes and dtypes, huge
claimed sizes, Nones, nested junk, non-dict tops, tensors where numbers belong, numbers where
tensors belong, flipped and cut bytes. The default suite runs a few hundred cases (a few
seconds); ``HOSTILE_FILES_EXAMPLES=5000`` runs more of each, as bench/fuzz_files.py does, and
``HOSTILE_FILES_REPORT=path`` writes how each loader answered there as JSON.
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.data import toy2d
from core.data.checkpoints import write_checkpoint
from core.data.recordings import Recording, load_recording
from core.gan.config import GANConfig
from core.gan.trainer import GANTrainer
from core.gan.trainer import load_checkpoint_bytes as load_gan_bytes
from core.rbm.model import RBM, checkpoint_dict
from core.rbm.model import load_checkpoint_bytes as load_rbm_bytes
from core.training.caps import Caps
from tests.helpers import damage

EXAMPLES = int(os.environ.get("HOSTILE_FILES_EXAMPLES", "0"))  # 0: the default suite's short run
# damaged bytes make torch.load warn of odd pickle protocols before it refuses them
pytestmark = pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")


def fuzz(default_examples: int):
    """hypothesis settings: a short run in the default suite, ``EXAMPLES`` when set."""
    return settings(
        max_examples=EXAMPLES or default_examples,
        deadline=None,
        database=None,  # nothing written into the working tree
        suppress_health_check=list(HealthCheck),
    )


OUTCOMES: Counter = Counter()  # (loader, "accepted" | "refused") → count
REFUSAL_PEAKS: dict[str, dict] = {}  # hostile file → its refusal's peak memory growth, outcome


@pytest.fixture(scope="module", autouse=True)
def report_outcomes():
    """Write OUTCOMES to HOSTILE_FILES_REPORT (when set) once the module's tests are done."""
    yield
    path = os.environ.get("HOSTILE_FILES_REPORT")
    if path:
        counts = {f"{loader} {outcome}": n for (loader, outcome), n in OUTCOMES.items()}
        report = {"examples": EXAMPLES, "outcomes": counts, "refusal_peaks": REFUSAL_PEAKS}
        with open(path, "w") as file:
            json.dump(report, file, indent=1, sort_keys=True)


def answer(loader: str, load, *args):
    """``load(*args)``'s result, or None where it refused with a ValueError whose message is a
    sentence (short: never a megabyte of repr). Any other exception fails the test."""
    try:
        result = load(*args)
    except ValueError as error:
        message = str(error)
        assert message.strip() and len(message) < 1000, message[:2000]
        OUTCOMES[loader, "refused"] += 1
        return None
    OUTCOMES[loader, "accepted"] += 1
    return result


# ---- junk: what a file may hold where something else belongs ---------------------------------

DTYPES = [
    torch.float16,
    torch.bfloat16,
    torch.float32,
    torch.float64,
    torch.int64,
    torch.int32,
    torch.uint8,
    torch.bool,
    torch.complex64,
]
HUGE = [10**6, 600_000, 10**9, 2**31, 10**18, 2**63, 10**30]


def _tensor(dtype: torch.dtype, shape: list[int], fill: float) -> torch.Tensor:
    tensor = torch.zeros(shape, dtype=torch.float64).fill_(fill)
    if dtype.is_complex or dtype.is_floating_point:
        return tensor.to(dtype)
    return torch.nan_to_num(tensor).clamp(-100, 100).to(dtype)


tensors = st.builds(
    _tensor,
    st.sampled_from(DTYPES),
    st.lists(st.integers(0, 5), max_size=3),
    st.sampled_from([0.0, 1.0, -1.0, 1e38, float("nan"), float("inf")]),
)
# a few bytes of storage that claim gigabytes: a view with stride 0
huge_views = st.builds(
    lambda dtype, sizes: torch.zeros(1, dtype=dtype).expand(*sizes),
    st.sampled_from([torch.float16, torch.float32, torch.uint8, torch.int64]),
    st.lists(st.sampled_from([1, 12, 784, *HUGE[:4]]), min_size=1, max_size=2),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, 1, -1, *HUGE, 10**400]),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["rbm", "gan", "recording", "CD-1", "PCD", "uniform", "proxy", "1e9", "12"]),
    st.binary(max_size=20),
    st.sampled_from([torch.float32, torch.device("cpu"), torch.Size([3, 4])]),
)
junk = st.recursive(
    st.one_of(scalars, tensors, huge_views),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(st.text(max_size=12), st.integers()), inner, max_size=4),
    ),
    max_leaves=8,
)


def _paths(tree, prefix=()):
    """Every place in a nested dict/list: the root, its containers and its leaves."""
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _paths(value, (*prefix, key))
    elif type(tree) in (list, tuple):  # not torch.Size, a tuple that holds ints only
        for index, value in enumerate(tree):
            yield from _paths(value, (*prefix, index))


def _replace(tree, path, value):
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        return {**tree, head: _replace(tree[head], rest, value)}
    items = list(tree)
    items[head] = _replace(items[head], rest, value)
    return type(tree)(items)


def _delete(tree, path):
    if len(path) == 1:
        if isinstance(tree, dict):
            return {key: value for key, value in tree.items() if key != path[0]}
        return type(tree)(item for index, item in enumerate(tree) if index != path[0])
    head = path[0]
    if isinstance(tree, dict):
        return {**tree, head: _delete(tree[head], path[1:])}
    items = list(tree)
    items[head] = _delete(items[head], path[1:])
    return type(tree)(items)


def _get(tree, path):
    for key in path:
        tree = tree[key]
    return tree


GENUINE: dict[str, dict] = {}  # by name, so that a strategy's repr stays short


@st.composite
def mutated(draw, genuine: str):
    """The ``genuine`` file's tree with one to three changes: a value replaced by junk, a tensor
    by another dtype, shape or a stride-0 view, a key deleted or added."""
    tree = GENUINE[genuine]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(tree))))
        here = _get(tree, path)
        action = draw(st.sampled_from(["replace", "retype", "delete", "add"]))
        small = isinstance(here, torch.Tensor) and here.numel() <= 100_000  # not a huge view
        if action == "retype" and small:
            shape = list(here.shape)
            change = draw(st.sampled_from(["dtype", "shape", "view", "nan", "empty"]))
            if change == "dtype":
                value = here.to(draw(st.sampled_from(DTYPES)))
            elif change == "shape":
                value = torch.zeros([max(0, n + draw(st.integers(-1, 1))) for n in shape] or [2])
            elif change == "view":
                value = torch.zeros(1, dtype=here.dtype).expand(*(shape or [1]))
            elif change == "nan":
                value = here.float().clone().fill_(float("nan"))
            else:
                value = here[:0] if shape else here.reshape(1)[:0]
            tree = _replace(tree, path, value)
        elif action == "delete" and path:
            tree = _delete(tree, path)
        elif action == "add" and isinstance(here, dict):
            key = draw(
                st.one_of(st.text(max_size=12), st.sampled_from(sorted(map(str, here)) or ["x"]))
            )
            tree = _replace(tree, path, {**here, key: draw(junk)})
        else:
            tree = _replace(tree, path, draw(junk))
    return tree


def saved(tree) -> bytes:
    buffer = io.BytesIO()
    torch.save(tree, buffer)
    return buffer.getvalue()


@st.composite
def damaged_bytes(draw, genuine: str):
    """The ``genuine`` file's bytes with bytes overwritten, cut or inserted."""
    return damage(draw, saved(GENUINE[genuine]))


# ---- the RBM's checkpoints --------------------------------------------------------------------

RBM_CHECKPOINT = checkpoint_dict(
    RBM(12, 5, seed=0),
    dataset="digits",
    steps=40,
    epochs=1.5,
    method="PCD-1",
    learning_rate=0.01,
    momentum=0.5,
)
CAPS = Caps()
GENUINE["rbm"] = RBM_CHECKPOINT


@st.composite
def rbm_claims(draw):
    """A consistent checkpoint of any claimed size, its tensors stride-0 views of that size."""
    n_visible = draw(st.sampled_from([12, 784, 1, *HUGE]))
    n_hidden = draw(st.sampled_from([5, CAPS.max_hidden_units, CAPS.max_hidden_units + 1, *HUGE]))
    dtype = draw(st.sampled_from([torch.float16, torch.float32]))

    def view(*shape):  # a stride-0 view where torch can count its elements, else one number
        fits = np.prod([float(n) for n in shape]) < 2**62
        return torch.zeros(1, dtype=dtype).expand(*shape) if fits else torch.zeros(1, dtype=dtype)

    return {
        "kind": "rbm",
        "config": {**RBM_CHECKPOINT["config"], "n_visible": n_visible, "n_hidden": n_hidden},
        "state_dict": {
            "W": view(n_hidden, n_visible),
            "b": view(n_visible),
            "c": view(n_hidden),
        },
    }


rbm_files = st.one_of(
    mutated("rbm").map(saved),
    rbm_claims().map(saved),
    damaged_bytes("rbm"),
    junk.map(saved),
)


def rbm_page_check(data: bytes):
    """What the RBM page does with an uploaded file (pages.settings.rbm.checkpoint_check),
    with a plain dict for its session state."""
    import pages.settings.rbm as rbm_settings

    page_st = rbm_settings.st
    rbm_settings.st = SimpleNamespace(session_state={})
    try:
        check = rbm_settings.checkpoint_check(SimpleNamespace(n_pixels=12), "digits")
        return check(data)
    finally:
        rbm_settings.st = page_st


@fuzz(200)
@given(rbm_files)
def test_a_hostile_rbm_checkpoint_is_a_value_error_or_a_model_within_the_caps(data):
    loaded = answer("rbm checkpoint", load_rbm_bytes, data)
    if loaded is not None:
        rbm, config = loaded
        assert rbm.n_hidden <= 16_384 and rbm.n_visible <= 16_384
        assert torch.isfinite(rbm.W).all() and rbm.W.dtype == torch.float32
        assert all(isinstance(v, str | int | float | bool | type(None)) for v in config.values())
    accepted = answer("rbm page upload", rbm_page_check, data)
    if accepted is not None:
        assert accepted[0].n_hidden <= CAPS.max_hidden_units and accepted[0].n_visible == 12


# ---- the GAN's checkpoints --------------------------------------------------------------------

GAN_CONFIG = GANConfig(
    n_pixels=16, noise_dim=4, generator_hidden=(8, 6), discriminator_hidden=(8,), average_decay=0.9
)
GAN_TRAINER = GANTrainer(GAN_CONFIG, torch.zeros(4, 16))
GAN_CHECKPOINT = {**GAN_TRAINER.checkpoint(), "dataset": "digits", "steps": 30}
GAN_CHECKPOINT["config"] = dict(GAN_CHECKPOINT["config"])
GENUINE["gan"] = GAN_CHECKPOINT


@st.composite
def gan_claims(draw):
    """The genuine checkpoint claiming other sizes, in its config and in stride-0 views."""
    tree = copy.deepcopy(GAN_CHECKPOINT)
    name = draw(st.sampled_from(["generator_hidden", "discriminator_hidden"]))
    size = draw(st.sampled_from(HUGE[:5]))
    tree["config"][name] = [size] * draw(st.integers(1, 3))
    if size < 2**40 and draw(st.booleans()):  # and its first layer's tensors as large
        network = "generator" if name == "generator_hidden" else "discriminator"
        width = 4 if network == "generator" else 16
        tree[network]["net.0.weight"] = torch.zeros(1).expand(size, width)
        tree[network]["net.0.bias"] = torch.zeros(1).expand(size)
    return tree


gan_files = st.one_of(
    mutated("gan").map(saved),
    gan_claims().map(saved),
    damaged_bytes("gan"),
    junk.map(saved),
)


@fuzz(150)
@given(gan_files)
def test_a_hostile_gan_checkpoint_is_a_value_error_or_weights_that_load(data):
    checkpoint = answer("gan checkpoint", load_gan_bytes, data, GAN_CONFIG)
    if checkpoint is not None:  # what the GAN page then does with it (GANJob.load)
        assert 0 <= checkpoint["steps"] <= 1e9
        GAN_TRAINER.load_checkpoint(checkpoint)
        assert all(torch.isfinite(p).all() for p in GAN_TRAINER.generator.parameters())


# ---- recordings -------------------------------------------------------------------------------


def _recording() -> dict:
    recording = Recording("rbm", (3, 4))
    for step in (0, 10, 40):
        recording.add_frame(step, np.full((2, 12), step / 40))
    recording.add_checkpoint(10, RBM_CHECKPOINT)
    buffer = io.BytesIO()
    recording.save(buffer)
    return torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)


RECORDING = GENUINE["recording"] = _recording()


def replayed(path):
    """What the replay view does with a recording: each frame, and the checkpoint a lecturer
    continues from, offered to the RBM page's check."""
    recording = load_recording(path, "rbm")
    for index in range(len(recording.steps)):
        frame = recording.frame(index)
        assert frame.shape[1] == recording.image_shape[0] * recording.image_shape[1]
    for step in recording.checkpoints:
        assert recording.checkpoint_before(step) == step
        answer("recorded checkpoint", load_rbm_bytes, recording.checkpoint_bytes(step))
    return recording


@fuzz(80)
@given(
    st.one_of(
        mutated("recording").map(saved),
        damaged_bytes("recording"),
        junk.map(saved),
    )
)
def test_a_hostile_recording_is_a_value_error_or_replays(tmp_path_factory, data):
    path = tmp_path_factory.getbasetemp() / "rbm_recording.pt"  # one file, written over
    path.write_bytes(data)
    answer("recording", replayed, path)


# ---- CSVs of points ---------------------------------------------------------------------------

fields = st.one_of(
    st.floats().map(repr),
    st.integers().map(str),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "", " ", '"', '"1"', "x", "1_0", "0x10"]),
    st.text(max_size=10),
)
rows = st.lists(st.lists(fields, min_size=0, max_size=4).map(",".join), max_size=12)
csv_texts = st.one_of(
    rows.map("\n".join),
    st.tuples(st.sampled_from(["1,2\n", "0.5,nan\n", "\n", "x,y\n"]), st.integers(0, 12_000)).map(
        lambda pair: pair[0] * pair[1]  # many rows
    ),
    st.tuples(rows.map("\r\n".join), st.sampled_from(["", "\x00", '"', "\ufeff", "\n" * 3])).map(
        "".join
    ),
    st.tuples(rows.map("\n".join), st.integers(131_000, 140_000)).map(  # past csv's field limit
        lambda pair: f"{pair[0]}\n1,{'1' * pair[1]}\n"
    ),
)
points = st.floats(-1e300, 1e300, allow_nan=False)
good_csvs = st.lists(st.tuples(points, points), max_size=40).map(
    lambda pairs: "x,y\n" + "".join(f"{x!r},{y!r}\n" for x, y in pairs)
)
csv_files = st.one_of(
    good_csvs.map(str.encode),
    csv_texts.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
    st.sampled_from([b"\xff\xfe\x00", b"1,2\n" * 600_000]),  # not UTF-8; over the size cap
)


@fuzz(200)
@given(csv_files)
def test_a_hostile_csv_is_a_value_error_or_points_in_the_plane(data):
    points = answer("csv", toy2d.points_from_csv, data)
    if points is not None:
        assert toy2d.MIN_POINTS <= len(points.points) <= toy2d.MAX_POINTS
        assert points.points.shape[1] == 2 and np.abs(points.points).max() <= 1


def test_a_csv_with_a_field_past_the_csv_limit_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="not a CSV of x,y rows"):
        toy2d.points_from_csv(b"x,y\n" + b"1" * 140_000 + b",2\n3,4\n5,6\n")


# ---- link values ------------------------------------------------------------------------------


def _tables():
    from pages.settings import gan, gan_2d, rbm, rbm_exact

    def gan_settings(values):
        GANConfig(n_pixels=784, **gan.config_values(values)).validate()

    return {
        "rbm": (rbm.SETTINGS, rbm.job_settings),
        "gan": (gan.SETTINGS, gan_settings),
        "gan_2d": (gan_2d.SETTINGS, gan_2d.job_settings),
        "rbm_exact": (rbm_exact.SETTINGS, rbm_exact.job_settings),
    }


TABLES = _tables()
link_texts = st.one_of(
    st.text(max_size=30),
    st.floats().map(repr),
    st.integers().map(str),
    st.sampled_from(["", "1e999", "-0", "nan", "0x1p3", "1_000", "१२", "True", "None", "1" * 5000]),
)


@fuzz(100)
@given(st.sampled_from(sorted(TABLES)), st.data())
def test_a_hostile_link_gives_notices_and_settings_a_page_can_build(page, data):
    from pages.settings.table import format_value, read_link

    table, build = TABLES[page]
    names = [setting.name for setting in table]
    query = data.draw(st.dictionaries(st.sampled_from([*names, "junk", "hide"]), link_texts))
    values, notices = answer(f"link {page}", read_link, query, table)
    assert len(notices) + len(values) == len(set(query) & set(names))
    for setting in table:
        if setting.key in values:  # what was taken is written back into a link that parses
            setting.parse(format_value(values[setting.key]))
    answer(f"link {page} settings", build, {s.name: values.get(s.key, s.default) for s in table})


@fuzz(100)
@given(st.sampled_from(sorted(TABLES)), st.data(), st.one_of(junk, link_texts))
def test_a_setting_parses_anything_to_a_value_or_a_value_error(page, data, value):
    setting = data.draw(st.sampled_from(TABLES[page][0]))
    answer("setting", setting.parse, value)


# ---- what a refusal costs: peak memory, in a child process --------------------------------------

MEMORY_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    import torch
    from core.gan.config import GANConfig
    from core.gan.trainer import load_checkpoint_bytes as load_gan
    from core.rbm.model import RBM, checkpoint_bytes
    from core.rbm.model import load_checkpoint_bytes as load_rbm

    def status(field):
        with open("/proc/self/status") as file:
            for line in file:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024  # MB

    def reset_peak():
        with open("/proc/self/clear_refs", "w") as file:
            file.write("5")  # VmHWM back to the current resident size

    # the first load of anything allocates what every later one reuses: done before measuring
    load_rbm(checkpoint_bytes(RBM(12, 5)))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    room = int(status("VmSize") * 2**20) + 2 * 2**30  # a regression fails at 2 GB, not OOM
    resource.setrlimit(resource.RLIMIT_AS, (room, hard))
    for line in sys.stdin:
        case = json.loads(line)
        data = open(case["path"], "rb").read()
        reset_peak()
        before = status("VmRSS")
        try:
            if case["model"] == "rbm":
                load_rbm(data)
            else:
                page = {name: tuple(sizes) for name, sizes in case["page"].items()}
                load_gan(data, GANConfig(**page))
            outcome = "accepted"
        except ValueError as error:
            outcome = "ValueError: " + str(error)
        except BaseException as error:
            outcome = type(error).__name__ + ": " + str(error)
        growth = status("VmHWM") - before
        print(json.dumps({"name": case["name"], "growth_mb": growth, "outcome": outcome[:160]}))
        sys.stdout.flush()
    """
)


def _zip_bomb(inflated_bytes: int) -> bytes:
    """A genuine small RBM checkpoint whose tensor record, deflated, inflates to
    ``inflated_bytes`` of zeros."""
    source = zipfile.ZipFile(io.BytesIO(saved(checkpoint_dict(RBM(12, 5)))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename.endswith("data/0"):
                with archive.open(info.filename, "w", force_zip64=True) as record:
                    zeros = bytes(2**20)
                    for _ in range(inflated_bytes // 2**20):
                        record.write(zeros)
            else:
                archive.writestr(info.filename, source.read(info.filename))
    return buffer.getvalue()


def _many_views() -> bytes:
    """A checkpoint whose pickled structure is a swarm of tensors sharing one small storage,
    just under the structure cap: a megabyte of pickle that builds thousands of objects."""
    base = torch.zeros(64)
    views = [base[i % 64 :] for i in range(11_000)]
    return saved({"kind": "rbm", "config": {"n_visible": 12, "n_hidden": 5}, "junk": views})


def _rbm_claim(n_visible: int, n_hidden: int, view: bool = False) -> bytes:
    if view:
        tensors = {
            "W": torch.zeros(1).expand(n_hidden, n_visible),
            "b": torch.zeros(1).expand(n_visible),
            "c": torch.zeros(1).expand(n_hidden),
        }
    else:
        tensors = {"W": torch.zeros(5, 12), "b": torch.zeros(12), "c": torch.zeros(5)}
    config = {"n_visible": n_visible, "n_hidden": n_hidden}
    return saved({"kind": "rbm", "config": config, "state_dict": tensors})


def _gan_claim(units: int) -> bytes:
    config = {**GANConfig().to_dict(), "generator_hidden": [units] * 4}
    config["discriminator_hidden"] = [units] * 3
    return saved({"kind": "gan", "config": config, "generator": {}, "discriminator": {}})


HOSTILE = {  # name: (model, bytes, the page's GAN config)
    "RBM claiming 10⁹ hidden units": ("rbm", lambda: _rbm_claim(784, 10**9), {}),
    "RBM claiming 10⁹ hidden units of one pixel": ("rbm", lambda: _rbm_claim(1, 10**9), {}),
    "RBM claiming 600,000 hidden units": ("rbm", lambda: _rbm_claim(784, 600_000), {}),
    "RBM claiming 10⁹ units in stride-0 views": (
        "rbm",
        lambda: _rbm_claim(1, 10**9, view=True),
        {},
    ),
    "RBM zip bomb (128 MB inflated)": ("rbm", lambda: _zip_bomb(128 * 2**20), {}),
    "RBM swarm of 11,000 tensor views": ("rbm", _many_views, {}),
    "GAN claiming 10⁹ units per layer": ("gan", lambda: _gan_claim(10**9), {}),
    "GAN claiming 10⁹ units, the page asking as much": (
        "gan",
        lambda: _gan_claim(10**9),
        {"generator_hidden": [10**9] * 4, "discriminator_hidden": [10**9] * 3},
    ),
}


def peak_memory_of_refusals(directory) -> dict[str, dict]:
    """Each HOSTILE file loaded in one child process, its peak resident memory reset before
    each (Linux's clear_refs): {name: {"growth_mb", "outcome"}}."""
    cases = []
    for index, (name, (model, make, page)) in enumerate(HOSTILE.items()):
        path = directory / f"hostile_{index}.pt"
        path.write_bytes(make())
        cases.append(json.dumps({"name": name, "path": str(path), "model": model, "page": page}))
    child = subprocess.run(
        [sys.executable, "-c", MEMORY_CHILD],
        input="\n".join(cases) + "\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    results = [json.loads(line) for line in child.stdout.splitlines()]
    return {result.pop("name"): result for result in results}


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's /proc")
def test_a_file_claiming_a_huge_model_is_refused_within_50_mb(tmp_path):
    results = peak_memory_of_refusals(tmp_path)
    REFUSAL_PEAKS.update(results)
    assert set(results) == set(HOSTILE)
    for name, result in results.items():
        assert result["outcome"].startswith("ValueError"), (name, result)
        assert result["growth_mb"] < 50, (name, result)


def test_a_genuine_checkpoint_still_loads_after_the_checks():
    rbm, config = load_rbm_bytes(write_checkpoint(RBM_CHECKPOINT), max_hidden=5)
    assert (rbm.n_visible, rbm.n_hidden, config["method"]) == (12, 5, "PCD-1")
    with pytest.raises(ValueError, match="5 hidden units, above this server's limit of 4"):
        load_rbm_bytes(write_checkpoint(RBM_CHECKPOINT), max_hidden=4)
    assert load_gan_bytes(write_checkpoint(GAN_CHECKPOINT), GAN_CONFIG)["steps"] == 30
