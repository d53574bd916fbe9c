"""What defines a GAN run (core.gan.trainer): the networks' shape, the noise, the loss, the rates
and the rest, checked, and written to and read from a checkpoint as plain values."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from core.data.checkpoints import describe
from core.data.validation import check_non_negative, check_positive, check_positive_int

NOISE_KINDS = ("uniform", "gaussian")
GENERATOR_LOSSES = ("proxy", "minimax")
MAX_LAYERS = 64  # hidden layers (and betas) a checkpoint's config may list


@dataclass
class GANConfig:
    """Everything that defines a GAN run; learning rates and k may change between steps."""

    n_pixels: int = 784
    noise_dim: int = 100
    generator_hidden: tuple[int, ...] = (128, 256, 512, 1024)
    discriminator_hidden: tuple[int, ...] = (1024, 512, 256)
    dropout: float = 0.3
    noise: str = "uniform"
    generator_loss: str = "proxy"
    k: int = 1
    learning_rate_generator: float = 2e-4
    learning_rate_discriminator: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 128
    average_decay: float = 0.0  # 0: samples come from G itself; d in (0, 1): from G's average
    real_label: float = 1.0  # D's target for real images (below 1: one-sided label smoothing)
    seed: int = 0
    extra: dict = field(default_factory=dict)

    def validate(self) -> None:
        """Raise ValueError naming the first setting out of range."""
        for name in ("n_pixels", "noise_dim", "k", "batch_size"):
            check_positive_int(name, getattr(self, name))
        for name in ("generator_hidden", "discriminator_hidden"):
            sizes = getattr(self, name)
            try:
                if not sizes:
                    raise ValueError
                for size in sizes:
                    check_positive_int(name, size)
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be positive layer sizes, got {sizes!r}.") from None
        for name in ("learning_rate_generator", "learning_rate_discriminator"):
            check_positive(name, getattr(self, name))
        check_non_negative("dropout", self.dropout, upper=1.0)
        check_non_negative("average_decay", self.average_decay, upper=1.0)
        if not 0.5 < self.real_label <= 1.0:
            raise ValueError(f"real_label must be in (0.5, 1], got {self.real_label!r}.")
        if len(self.betas) != 2:
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}.")
        for beta in self.betas:
            check_non_negative("betas", beta, upper=1.0)
        if self.noise not in NOISE_KINDS:
            raise ValueError(f"noise must be one of {NOISE_KINDS}, got {self.noise!r}.")
        if self.generator_loss not in GENERATOR_LOSSES:
            raise ValueError(
                f"generator_loss must be one of {GENERATOR_LOSSES}, got {self.generator_loss!r}."
            )

    def to_dict(self) -> dict:
        """A plain dict (lists, numbers, strings) for a checkpoint."""
        values = asdict(self)
        values["generator_hidden"] = list(self.generator_hidden)
        values["discriminator_hidden"] = list(self.discriminator_hidden)
        values["betas"] = list(self.betas)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> GANConfig:
        """A config from a checkpoint's plain values (those it lacks keep their defaults),
        validated; ValueError with a sentence for anything malformed (a file may hold a tensor
        where a number belongs, a number where a list belongs, or no dict at all)."""
        if not isinstance(values, dict):
            raise ValueError(
                f"The checkpoint's config should be a dict of settings, not {describe(values)}."
            )
        known = {}
        for name, field_ in cls.__dataclass_fields__.items():
            if name not in values:
                continue
            value = values[name]
            if name in ("generator_hidden", "discriminator_hidden", "betas"):
                if not isinstance(value, list | tuple) or len(value) > MAX_LAYERS:
                    raise ValueError(
                        f"The checkpoint's {name} should be a short list, not {describe(value)}."
                    )
                if not all(_is_number(item) for item in value):
                    raise ValueError(f"The checkpoint's {name} should hold numbers only.")
                value = tuple(value)
            elif name == "extra":
                if not isinstance(value, dict):
                    raise ValueError(
                        f"The checkpoint's extra should be a dict, not {describe(value)}."
                    )
            elif isinstance(field_.default, str):
                if not isinstance(value, str):
                    raise ValueError(
                        f"The checkpoint's {name} should be a text, not {describe(value)}."
                    )
            elif not _is_number(value) or (
                isinstance(field_.default, int) and isinstance(value, float)
            ):
                raise ValueError(
                    f"The checkpoint's {name} should be a number, not {describe(value)}."
                )
            known[name] = value
        if not -(2**63) <= known.get("seed", 0) < 2**63:
            raise ValueError("The checkpoint's seed is out of range.")
        config = cls(**known)
        config.validate()
        return config


def _is_number(value: object) -> bool:
    """An int or a float (a bool, a tensor or a string is not)."""
    return isinstance(value, int | float) and not isinstance(value, bool)
