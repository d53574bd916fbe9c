"""A lesson step's link trained headless, as its page trains it: the settings the link sets over
the page's defaults, the page's own job, and the records its charts draw, step by step."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import numpy as np

PAGES = ("rbm", "gan", "gan-2d", "rbm-exact")  # a link's path: the page's settings module below
MODULES = {"rbm": "rbm", "gan": "gan", "gan-2d": "gan_2d", "rbm-exact": "rbm_exact"}


def link_values(link: str) -> tuple[str, dict[str, object]]:
    """The page a link opens and every setting's value there (by link name): the link's own
    over the table's defaults. ValueError for a page or a value the page would refuse."""
    import importlib

    parts = urlsplit(link)
    page = parts.path.strip("/")
    if page not in PAGES:
        raise ValueError(f"{link} opens no training page.")
    table = importlib.import_module(f"pages.settings.{MODULES[page]}").SETTINGS
    values = {setting.name: setting.default for setting in table}
    rows = {setting.name: setting for setting in table}
    for name, text in parse_qsl(parts.query):
        if name in rows:
            try:
                values[name] = rows[name].parse(text)
            except ValueError as reason:
                raise ValueError(f"{name}={text} in {link} {reason}.") from None
    return page, values


def make_job(link: str):
    """The job the link's page builds when Start is pressed, with its settings."""
    page, values = link_values(link)
    if page == "rbm":
        from core.data.datasets import load_dataset
        from core.training.rbm_job import RBMJob
        from pages.settings.rbm import CAPS, job_settings

        return RBMJob(load_dataset(str(values["dataset"])), job_settings(values), CAPS)
    if page == "gan":
        from core.data.datasets import load_dataset
        from core.gan.trainer import GANConfig
        from core.judge.classifier import classifier_path, load_classifier
        from core.training.gan_job import GANJob
        from pages.settings.gan import CAPS, config_values

        dataset = load_dataset(str(values["dataset"]))
        judge = load_classifier(classifier_path(dataset.image_shape))
        return GANJob(dataset, GANConfig(**config_values(values)), CAPS, judge)
    if page == "gan-2d":
        from core.data.toy2d import BUILT_IN
        from core.training.gan2d_job import GAN2DJob
        from pages.settings.gan_2d import job_settings

        return GAN2DJob(BUILT_IN[str(values["data"])](), job_settings(values))
    from core.data.tiny import BUILT_IN
    from core.training.exact_job import ExactRBMJob
    from pages.settings.rbm_exact import job_settings

    return ExactRBMJob(BUILT_IN[str(values["data"])](), job_settings(values), bool(values["race"]))


@dataclass(frozen=True)
class Run:
    """``steps`` steps of a link's run; every ``every`` steps (and after the last) ``look``
    adds what the page shows beside its charts (D's push, the dreams' verdict, …) as a record.
    ``start`` prepares the job first (loads the pretrained model)."""

    link: str
    steps: int
    every: int = 0
    look: Callable | None = None
    start: Callable | None = None


@dataclass
class Trace:
    """A run's records as its page's history holds them: each with its ``step``."""

    records: list[dict[str, float]] = field(default_factory=list)

    def series(self, name: str, first: float = 0, last: float = np.inf) -> np.ndarray:
        """(step, value) rows of every record with ``name`` from step ``first`` to ``last``."""
        rows = [
            (r["step"], r[name]) for r in self.records if name in r and first <= r["step"] <= last
        ]
        if not rows:
            raise ValueError(f"No record of {name} between steps {first} and {last}.")
        return np.array(rows, dtype=float)

    def values(self, name: str, first: float = 0, last: float = np.inf) -> np.ndarray:
        return self.series(name, first, last)[:, 1]

    def at(self, name: str, step: float) -> float:
        """The latest value of ``name`` at or before ``step`` (what the page showed then)."""
        return float(self.series(name, 0, step)[-1, 1])


def train(run: Run) -> Trace:
    """The run trained headless, one record per step as a page's history keeps them."""
    job = make_job(run.link)
    if run.start is not None:
        run.start(job)
    trace = Trace()
    for step in range(1, run.steps + 1):
        trace.records.append({"step": step, **job.train_step()})
        if run.look is not None and (step == run.steps or (run.every and step % run.every == 0)):
            trace.records.append({"step": step, **run.look(job)})
    if run.look is not None and not run.steps:
        trace.records.append({"step": 0, **run.look(job)})
    return trace


@functools.cache
def trained(run: Run) -> Trace:
    """train(run), once per process: claims on the same run share it."""
    return train(run)


def look_each(*looks: Callable) -> Callable:
    """Several looks as one: each adds its numbers to the same record."""

    def look(job) -> Mapping[str, float]:
        record: dict[str, float] = {}
        for one in looks:
            record.update(one(job))
        return record

    return look
