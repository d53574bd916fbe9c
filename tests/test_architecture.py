"""The import rules of docs/architecture.md, checked by importing every module of core/ and
serving/ on its own and reading what it loaded (sys.modules), and by reading every import
statement, those inside functions included, which an import alone never runs.

(a) the models (core/rbm, core/gan, core/sampling.py, core/devices.py) load nothing from
    core.training, core.pictures or core.judge (core.rbm.dreams, which judges dreams, may load
    core.judge.quality and the classifier it needs), nor pages, serving or streamlit;
(b) core.training loads no pages or serving;
(c) nothing in core/ loads pages, serving, streamlit, tests or bench;
(d) serving/ loads no pages, tests or bench;
(e) core.rbm.model, core.rbm.trainer and core.rbm.estimator load no core.judge module.
(f), that importing core/ changes nothing in the process, is tests/test_process.py's.

Each module is imported in a process of its own: one probe process loads the heavy
third-party libraries once (torch, numpy, scikit-learn, plotly, Pillow; none of them loads
anything watched here), then forks a child per module, which imports that module alone and
reports every module of ours (and Streamlit's) that came with it.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Top-level names whose modules the probe reports.
WATCHED = ("core", "pages", "serving", "streamlit", "tests", "bench")

# Loaded once in the probe before it forks: slow to import, and none of them is ours.
PRELOAD = (
    "numpy",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "scipy.sparse",
    "sklearn.base",
    "sklearn.utils.validation",
    "PIL.Image",
    "plotly.graph_objects",
)

PROBE = r"""
import importlib, json, os, sys, traceback
watched, preload, modules = json.loads(sys.argv[1])
ours = lambda name: name.split(".")[0] in watched
for name in preload:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
before = set(sys.modules)
already = sorted(name for name in before if ours(name))
if already:
    print(json.dumps({"error": f"loaded before any module of ours: {already}"}))
    sys.exit(0)
sys.stdout.flush()
found = {}
for module in modules:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: import one module, report what came with it
        os.close(read_end)
        try:
            importlib.import_module(module)
            report = {"loaded": sorted(n for n in set(sys.modules) - before if ours(n))}
        except BaseException:
            report = {"error": traceback.format_exc()}
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(json.dumps(report))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    found[module] = json.loads(text) if text else {"error": "the child died"}
print(json.dumps({"found": found}))
"""


def module_names(package: str) -> list[str]:
    """Every module of ``package`` (a folder under the repository root), by its dotted name."""
    names = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


CORE = module_names("core")
SERVING = module_names("serving")
MODELS = [
    name
    for name in CORE
    if name.startswith(("core.rbm", "core.gan")) or name in ("core.sampling", "core.devices")
]
TRAINING = [name for name in CORE if name.startswith("core.training")]
RBM = ["core.rbm.model", "core.rbm.trainer", "core.rbm.estimator"]

# What a module must not load, and what it may despite that.
MODEL_FORBIDS = ("core.training", "core.pictures", "core.judge", "pages", "serving", "streamlit")
DREAMS_MAY = ("core.judge", "core.judge.quality", "core.judge.classifier")
CORE_FORBIDS = ("pages", "serving", "streamlit", "tests", "bench")
SERVING_FORBIDS = ("pages", "tests", "bench")


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def offenders(
    loaded: dict[str, list[str]],
    modules: list[str],
    forbids: tuple[str, ...],
    allowed: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, list[str]]:
    """For each of ``modules``, the forbidden names among those it loaded (or imports)."""
    allowed = allowed or {}
    found = {}
    for module in modules:
        bad = [
            name
            for name in loaded[module]
            if within(name, forbids) and name not in allowed.get(module, ())
        ]
        if bad:
            found[module] = bad
    return found


@pytest.fixture(scope="module")
def loaded() -> dict[str, list[str]]:
    """Each module of core/ and serving/, imported alone: the modules of ours it loaded."""
    if not hasattr(os, "fork"):
        pytest.skip("the probe forks a child per module")
    modules = CORE + SERVING
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([WATCHED, PRELOAD, modules])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert "error" not in report, report["error"]
    found = report["found"]
    failed = {name: entry["error"] for name, entry in found.items() if "error" in entry}
    assert not failed, f"modules that do not import on their own: {failed}"
    return {name: entry["loaded"] for name, entry in found.items()}


@pytest.fixture(scope="module")
def imported() -> dict[str, list[str]]:
    """Each module of core/ and serving/: every module its import statements name, those
    inside functions included (``from a.b import c`` names a.b, and a.b.c where that is a
    module of ours)."""
    names = {}
    for module in CORE + SERVING:
        path = ROOT.joinpath(*module.split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        named = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                named.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                named.add(node.module)
                submodules = (f"{node.module}.{alias.name}" for alias in node.names)
                named.update(name for name in submodules if is_ours(name))
        names[module] = sorted(named)
    return names


def is_ours(name: str) -> bool:
    """Whether ``name`` is a module or package in this repository."""
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_every_module_is_checked():
    assert {"core.rbm.model", "core.gan.trainer", "core.sampling", "core.devices"} <= set(MODELS)
    assert "core.rbm.dreams" in MODELS and "core.training.runs" in TRAINING
    assert {"serving.keeper", "serving.memory", "serving.browser"} <= set(SERVING)
    assert len(CORE) > 30


@pytest.mark.parametrize("source", [pytest.param("loaded", marks=pytest.mark.slow), "imported"])
def test_models_load_no_training_pictures_judge_pages_or_serving(source, request):
    found = request.getfixturevalue(source)
    bad = offenders(found, MODELS, MODEL_FORBIDS, {"core.rbm.dreams": DREAMS_MAY})
    assert not bad, f"models reaching above themselves ({source}): {bad}"


@pytest.mark.parametrize("source", [pytest.param("loaded", marks=pytest.mark.slow), "imported"])
def test_training_loads_no_pages_or_serving(source, request):
    found = request.getfixturevalue(source)
    bad = offenders(found, TRAINING, ("pages", "serving"))
    assert not bad, f"core.training reaching the server or the pages ({source}): {bad}"


@pytest.mark.parametrize("source", [pytest.param("loaded", marks=pytest.mark.slow), "imported"])
def test_core_loads_no_pages_serving_or_streamlit(source, request):
    found = request.getfixturevalue(source)
    bad = offenders(found, CORE, CORE_FORBIDS)
    assert not bad, f"core/ reaching the pages, the server or Streamlit ({source}): {bad}"


@pytest.mark.parametrize("source", [pytest.param("loaded", marks=pytest.mark.slow), "imported"])
def test_serving_loads_no_pages(source, request):
    found = request.getfixturevalue(source)
    bad = offenders(found, SERVING, SERVING_FORBIDS)
    assert not bad, f"serving/ reaching the pages ({source}): {bad}"


@pytest.mark.slow
def test_loading_the_rbm_loads_no_judge(loaded):
    bad = offenders(loaded, RBM, ("core.judge",))
    assert not bad, f"the RBM loads the judge (and its classifier): {bad}"
    # and the check can see a judge where one is loaded
    assert "core.judge.classifier" in loaded["core.rbm.dreams"]
