"""How good a generator's samples are, judged by a reference classifier: the classes it
covers, the share it recognises, the classifier FID; and the Parzen-window log-likelihood."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from core.judge.classifier import NOT_A_DIGIT

# ---- sample quality of a generator, judged by a reference classifier ---------------------


@dataclass(frozen=True)
class ClassCoverage:
    """How generated samples spread over the digits a classifier sees in them.

    ``shares[c]`` is the fraction of all samples whose most likely class is digit c;
    ``rejected`` the fraction the judge calls "not a digit" (its eleventh class, where it has
    one), so ``shares`` sum to 1 − rejected. ``entropy`` is the entropy in nats of the digit
    shares among the samples taken for digits (log 10 ≈ 2.303 when they use the ten digits
    equally, 0 for a generator that draws one digit only: mode collapse).
    """

    shares: np.ndarray
    entropy: float
    rejected: float = 0.0

    @property
    def normalized_entropy(self) -> float:
        """Entropy as a fraction of its maximum, log(number of classes)."""
        return self.entropy / math.log(len(self.shares))


def _checked(probabilities: np.ndarray) -> np.ndarray:
    probabilities = np.asarray(probabilities)
    if probabilities.ndim != 2 or probabilities.shape[0] == 0 or probabilities.shape[1] < 2:
        raise ValueError(
            f"probabilities must have shape (n > 0, classes ≥ 2), got {probabilities.shape}."
        )
    return probabilities


def class_coverage(probabilities: np.ndarray) -> ClassCoverage:
    """Digit shares, the rejected share and the digits' entropy from rows of class
    probabilities: ten columns, or eleven where the last is "not a digit"."""
    probabilities = _checked(probabilities)
    classes = probabilities.shape[1]
    counts = np.bincount(probabilities.argmax(axis=1), minlength=classes) / len(probabilities)
    digits = classes - 1 if classes == NOT_A_DIGIT + 1 else classes
    shares, rejected = counts[:digits], float(counts[digits:].sum())
    taken = shares[shares > 0] / max(shares.sum(), 1e-12)
    entropy = float(-(taken * np.log(taken)).sum()) + 0.0  # never -0.0
    return ClassCoverage(shares=shares, entropy=entropy, rejected=rejected)


def confident_share(probabilities: np.ndarray, threshold: float = 0.8) -> float:
    """The fraction of samples that one digit has probability ≥ threshold for ("not a digit",
    an eleventh column, never counts)."""
    probabilities = _checked(probabilities)
    if probabilities.shape[1] == NOT_A_DIGIT + 1:
        probabilities = probabilities[:, :NOT_A_DIGIT]
    return float((probabilities.max(axis=1) >= threshold).mean())


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^½) between two sets of feature rows.

    With a small digit classifier's penultimate features this is a "classifier FID": it
    ranks generators like FID does, but its values are not comparable with FID numbers
    computed in Inception-v3 features.
    """
    a = np.asarray(features_a, dtype=np.float64)
    b = np.asarray(features_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets must be 2-D with equal widths, got {a.shape}, {b.shape}.")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("each feature set needs at least 2 rows for a covariance.")
    mean_gap = a.mean(axis=0) - b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = root_a @ cov_b @ root_a  # symmetric, with the eigenvalues of Σ_a Σ_b
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    distance = mean_gap @ mean_gap + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root
    return float(max(distance, 0.0))


@dataclass(frozen=True)
class SampleQuality:
    """The numbers a GAN page shows next to its pictures."""

    confident_share: float
    coverage: ClassCoverage
    classifier_fid: float


def sample_quality(
    classifier, generated: np.ndarray, real_features: np.ndarray, threshold: float = 0.8
) -> SampleQuality:
    """Judge generated images (rows of pixels in [0, 1]) with a reference classifier.

    ``real_features`` are the classifier's penultimate features of real images (compute them
    once with ``classifier.predict(real)[1]``).
    """
    probabilities, features = classifier.predict(generated)
    return SampleQuality(
        confident_share=confident_share(probabilities, threshold),
        coverage=class_coverage(probabilities),
        classifier_fid=frechet_distance(features, real_features),
    )


# ---- Parzen-window log-likelihood (Goodfellow et al. 2014) -------------------------------


def parzen_log_likelihood(
    samples: np.ndarray | torch.Tensor,
    points: np.ndarray | torch.Tensor,
    sigma: float,
    *,
    batch_size: int = 500,
) -> np.ndarray:
    """log p(x) for each row x of ``points`` under a Gaussian Parzen window on ``samples``.

    p(x) = 1/N Σ_i N(x; s_i, σ² I)
    log p(x) = logsumexp_i(−‖x − s_i‖² / 2σ²) − log N − d/2 · log(2πσ²)
    """
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be positive, got {sigma!r}.")
    centres = torch.as_tensor(np.asarray(samples), dtype=torch.float64)
    x = torch.as_tensor(np.asarray(points), dtype=torch.float64)
    if centres.ndim != 2 or x.ndim != 2 or centres.shape[1] != x.shape[1] or len(centres) == 0:
        raise ValueError(
            f"samples and points must be 2-D with equal widths, got {tuple(centres.shape)} and "
            f"{tuple(x.shape)}."
        )
    n, d = centres.shape
    centre_norms = (centres**2).sum(dim=1)
    constant = -math.log(n) - d / 2 * math.log(2 * math.pi * sigma**2)
    results = []
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        squared = (batch**2).sum(dim=1, keepdim=True) + centre_norms - 2 * batch @ centres.T
        results.append(torch.logsumexp(-squared.clamp_min(0) / (2 * sigma**2), dim=1) + constant)
    return torch.cat(results).numpy()


@dataclass(frozen=True)
class ParzenEstimate:
    """Mean log-likelihood of a test set, its standard error, and the σ chosen for it."""

    mean: float
    standard_error: float
    sigma: float
    validation_by_sigma: dict


def parzen_estimate(
    samples: np.ndarray,
    validation: np.ndarray,
    test: np.ndarray,
    sigmas: np.ndarray | None = None,
) -> ParzenEstimate:
    """Goodfellow et al.'s protocol: pick σ on a validation set, report the test mean ± s.e."""
    grid = np.logspace(-1, 0, 10) if sigmas is None else np.asarray(sigmas, dtype=float)
    scores = {
        float(sigma): float(parzen_log_likelihood(samples, validation, float(sigma)).mean())
        for sigma in grid
    }
    best = max(scores, key=scores.get)
    values = parzen_log_likelihood(samples, test, best)
    return ParzenEstimate(
        mean=float(values.mean()),
        standard_error=float(values.std(ddof=1) / math.sqrt(len(values)))
        if len(values) > 1
        else float("nan"),
        sigma=best,
        validation_by_sigma=scores,
    )
