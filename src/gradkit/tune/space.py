"""Search spaces: each hyperparameter sampled on its own scale.

The practitioner's advice this module encodes: try random values rather than a
grid, and sample each hyperparameter on the scale where equal steps matter
equally. A learning rate between 1e-4 and 1 is drawn *log*-uniformly (each
decade gets the same share), a momentum/Adam β between 0.9 and 0.999 is drawn as
``1 - 10^U`` (so 0.99..0.999 gets as many samples as 0.9..0.99), a mini-batch
size is a power of two.

A *space* is a plain ``dict`` mapping names to :class:`Domain` objects (or to
plain constants, passed through unchanged)::

    space = {
        "lr": log_uniform(1e-4, 1.0),
        "beta": one_minus_log_uniform(0.9, 0.999),
        "hidden_units": int_uniform(32, 512),
        "batch_size": powers_of_two(16, 512),
        "activation": choice(["relu", "tanh"]),
        "epochs": 10,
    }

Every domain knows its ``scale`` (``"linear"``, ``"log"``, ``"log2"``,
``"one_minus_log"`` or ``"categorical"``); plots use it for their axes and
:func:`gradkit.tune.coarse_to_fine` zooms in that scale. All sampling draws
from a NumPy ``Generator`` (see :func:`sample`); NumPy's global RNG is never used.

Examples:
    >>> from gradkit.tune import log_uniform, powers_of_two, sample
    >>> cfg = sample({"lr": log_uniform(1e-4, 1.0), "batch_size": powers_of_two(16, 256), "epochs": 5}, seed=0)
    >>> sorted(cfg)
    ['batch_size', 'epochs', 'lr']
    >>> 1e-4 <= cfg["lr"] <= 1.0 and cfg["batch_size"] in (16, 32, 64, 128, 256)
    True
"""

from __future__ import annotations

import json
import math
import numbers
from typing import Any, Iterable, Mapping

import numpy as np

from ..random import Generator, get_generator

__all__ = [
    "Domain", "Uniform", "LogUniform", "OneMinusLogUniform", "IntUniform", "Choice", "PowersOfTwo",
    "uniform", "log_uniform", "one_minus_log_uniform", "int_uniform", "choice", "powers_of_two",
    "sample", "sample_configs", "validate_space", "space_to_dict", "space_from_dict", "default_space",
    "space_from_toml", "zoom_space",
]


def _real(name: str, value: Any, what: str) -> float:
    """``value`` as a finite float, or a clear error naming the domain and bound."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: {what} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name}: {what} must be finite, got {value}")
    return value


class Domain:
    """A hyperparameter's set of values and how to sample it.

    Subclasses define ``sample(rng)``, ``scale``, ``to_dict()`` and ``zoom``.
    Numeric domains also map values to and from their sampling scale with
    ``to_scale`` / ``from_scale`` (``log10`` for log domains, ``log10(1 - x)`` for
    :class:`OneMinusLogUniform`, ``log2`` for :class:`PowersOfTwo`).
    """

    scale: str = "linear"
    kind: str = ""

    def sample(self, rng: np.random.Generator) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_dict(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def zoom(self, values: list, factor: float) -> "Domain | Any":  # pragma: no cover - abstract
        raise NotImplementedError

    def __eq__(self, other):
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def __hash__(self):
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != "type")
        return f"{self.kind}({args})"


class _Range(Domain):
    """A numeric range ``[low, high]`` sampled uniformly in ``to_scale`` space."""

    def __init__(self, low, high):
        self.low = _real(self.kind, low, "low")
        self.high = _real(self.kind, high, "high")
        if not self.low < self.high:
            what = "empty" if self.low == self.high else "inverted"
            raise ValueError(
                f"{self.kind}: the range [{low}, {high}] is {what}; expected low < high "
                f"(use a plain constant for a fixed value)")

    def to_scale(self, x):
        return x

    def from_scale(self, u):
        return u

    def _scaled_bounds(self) -> tuple[float, float]:
        a, b = self.to_scale(self.low), self.to_scale(self.high)
        return (a, b) if a <= b else (b, a)

    def sample(self, rng):
        a, b = self._scaled_bounds()
        x = float(self.from_scale(rng.uniform(a, b)))
        return min(max(x, self.low), self.high)  # guard against round-off at the ends

    def to_dict(self):
        return {"type": self.kind, "low": self.low, "high": self.high}

    def _zoomed_bounds(self, values, factor) -> tuple[float, float]:
        """Scaled bounds of width ``factor * width`` centred on the mean of ``values``, kept inside."""
        if not 0 < factor <= 1:
            raise ValueError(f"zoom factor must be in (0, 1], got {factor}")
        a, b = self._scaled_bounds()
        width = (b - a) * factor
        center = float(np.mean([self.to_scale(float(v)) for v in values]))
        lo = min(max(center - width / 2, a), b - width)
        return lo, lo + width

    def zoom(self, values, factor):
        lo, hi = self._zoomed_bounds(values, factor)
        x1, x2 = sorted((float(self.from_scale(lo)), float(self.from_scale(hi))))
        x1, x2 = max(x1, self.low), min(x2, self.high)
        return type(self)(x1, x2) if x1 < x2 else x1


class Uniform(_Range):
    """Uniform on ``[low, high]`` (linear scale): for dropout, weight of a loss term.

    Args:
        low: smallest value.
        high: largest value; must be > ``low``.

    Raises:
        ValueError: for an empty (``low == high``) or inverted range, or a non-finite bound.
    """

    kind = "uniform"
    scale = "linear"


class LogUniform(_Range):
    """``10 ** U(log10(low), log10(high))``: each decade gets the same share of samples.

    The right scale for learning rates and regularisation strengths, where 1e-4
    vs 1e-3 matters as much as 0.1 vs 1.

    Args:
        low: smallest value, > 0.
        high: largest value, > ``low``.

    Raises:
        ValueError: when the range includes 0 or negatives, is empty or inverted.
    """

    kind = "log_uniform"
    scale = "log"

    def __init__(self, low, high):
        super().__init__(low, high)
        if self.low <= 0:
            raise ValueError(
                f"log_uniform: the range [{low}, {high}] includes 0 or negative values; a log scale needs "
                f"0 < low < high")

    def to_scale(self, x):
        return np.log10(x)

    def from_scale(self, u):
        return 10.0 ** u


class OneMinusLogUniform(_Range):
    """``1 - 10 ** U(log10(1 - high), log10(1 - low))``: for β-like values close to 1.

    Momentum or Adam's β averages over about ``1 / (1 - β)`` steps, so the
    sensitive quantity is ``1 - β``; it is sampled log-uniformly. For
    ``[0.9, 0.999]``, ``1 - β`` lies in ``[1e-3, 1e-1]`` (two decades), so half the
    samples fall in ``[0.9, 0.99]`` and half in ``[0.99, 0.999]``; for
    ``[0.9, 0.9999]`` each of the three decades gets a third.

    Args:
        low: smallest value, < ``high``.
        high: largest value, < 1.

    Raises:
        ValueError: when ``high >= 1`` (``log10(1 - x)`` undefined), or the range is empty/inverted.
    """

    kind = "one_minus_log_uniform"
    scale = "one_minus_log"

    def __init__(self, low, high):
        super().__init__(low, high)
        if self.high >= 1:
            raise ValueError(
                f"one_minus_log_uniform: the range [{low}, {high}] reaches 1; 1 - x must stay > 0 on its log "
                f"scale, so expected low < high < 1")

    def to_scale(self, x):
        return np.log10(1.0 - x)

    def from_scale(self, u):
        return 1.0 - 10.0 ** u


class IntUniform(_Range):
    """A uniform integer in ``[low, high]``, both ends included (hidden units, layers).

    Args:
        low: smallest integer.
        high: largest integer, > ``low``.

    Raises:
        TypeError: for non-integer bounds. ValueError: for an empty or inverted range.
    """

    kind = "int_uniform"
    scale = "linear"

    def __init__(self, low, high):
        for what, v in (("low", low), ("high", high)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"int_uniform: {what} must be an integer, got {type(v).__name__} {v!r}")
        super().__init__(low, high)
        self.low, self.high = int(low), int(high)

    def sample(self, rng):
        return int(rng.integers(self.low, self.high + 1))

    def zoom(self, values, factor):
        lo, hi = _int_window(self.low, self.high, [float(v) for v in values], factor)
        return IntUniform(lo, hi) if lo < hi else lo


class PowersOfTwo(_Range):
    """A power of two ``2**k`` in ``[low, high]``, ``k`` uniform (mini-batch sizes 16..512).

    Uniform over exponents, i.e. a discrete log scale: 32 and 512 are equally likely.

    Args:
        low: smallest allowed value (>= 1); rounded up to a power of two.
        high: largest allowed value; rounded down to a power of two.

    Raises:
        ValueError: when ``low < 1``, the range is empty/inverted, or holds fewer than two powers of two.
    """

    kind = "powers_of_two"
    scale = "log2"

    def __init__(self, low, high):
        super().__init__(low, high)
        if self.low < 1:
            raise ValueError(f"powers_of_two: low must be >= 1, got {low}")
        self.kmin = math.ceil(math.log2(self.low) - 1e-12)
        self.kmax = math.floor(math.log2(self.high) + 1e-12)
        if self.kmin >= self.kmax:
            raise ValueError(
                f"powers_of_two: [{low}, {high}] holds {'no' if self.kmin > self.kmax else 'only one'} power of "
                f"two; expected at least two (use a plain constant for a fixed value)")
        self.low, self.high = 2 ** self.kmin, 2 ** self.kmax

    @property
    def values(self) -> list[int]:
        """All allowed values, smallest first."""
        return [2 ** k for k in range(self.kmin, self.kmax + 1)]

    def to_scale(self, x):
        return np.log2(x)

    def from_scale(self, u):
        return 2.0 ** u

    def sample(self, rng):
        return int(2 ** int(rng.integers(self.kmin, self.kmax + 1)))

    def zoom(self, values, factor):
        k1, k2 = _int_window(self.kmin, self.kmax, [math.log2(v) for v in values], factor)
        return PowersOfTwo(2 ** k1, 2 ** k2) if k1 < k2 else 2 ** k1


def _int_window(lo: int, hi: int, centers: list[float], factor: float) -> tuple[int, int]:
    """The discrete zoom: ``round(factor * (hi - lo)) + 1`` consecutive integers, centred on the mean."""
    if not 0 < factor <= 1:
        raise ValueError(f"zoom factor must be in (0, 1], got {factor}")
    n = math.floor(factor * (hi - lo) + 0.5) + 1
    start = math.floor(float(np.mean(centers)) - (n - 1) / 2 + 0.5)
    start = min(max(start, lo), hi - n + 1)
    return start, start + n - 1


class Choice(Domain):
    """One of a list of options, each equally likely (activation, optimizer name, number of layers).

    Args:
        options: a non-empty sequence of JSON-serializable values (numbers, strings, bools, None).

    Raises:
        ValueError: for an empty list or options that cannot be stored as JSON.
    """

    kind = "choice"
    scale = "categorical"

    def __init__(self, options: Iterable):
        if isinstance(options, (str, bytes, Mapping)):
            raise TypeError(f"choice: options must be a list, got {type(options).__name__} {options!r}")
        self.options = [_plain(o) for o in options]
        if not self.options:
            raise ValueError("choice: options is empty; expected at least one option")
        for o in self.options:
            _check_json("choice option", o)

    def sample(self, rng):
        return self.options[int(rng.integers(len(self.options)))]

    def to_dict(self):
        return {"type": self.kind, "options": list(self.options)}

    def zoom(self, values, factor):
        """Keep the options seen among the best trials (in the original order)."""
        seen = [o for o in self.options if any(_same(o, v) for v in values)]
        if not seen:
            return Choice(self.options)
        return Choice(seen) if len(seen) > 1 else seen[0]

    def __repr__(self):
        return f"choice({self.options!r})"


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b or (
        isinstance(a, numbers.Number) and isinstance(b, numbers.Number)
        and not isinstance(a, bool) and not isinstance(b, bool) and a == b)


def _plain(v):
    """NumPy scalars -> Python scalars (JSON-friendly)."""
    return v.item() if isinstance(v, np.generic) else v


def _check_json(what: str, v) -> None:
    try:
        json.dumps(v)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what} {v!r} of type {type(v).__name__} cannot be stored in the results file "
                         f"(JSON): {e}") from None


# ---------------------------------------------------------------- constructors (the public names)

def uniform(low: float, high: float) -> Uniform:
    """Uniform on ``[low, high]``; see :class:`Uniform`."""
    return Uniform(low, high)


def log_uniform(low: float, high: float) -> LogUniform:
    """Log10-uniform on ``[low, high]``; see :class:`LogUniform`. Example: ``log_uniform(1e-4, 1)``."""
    return LogUniform(low, high)


def one_minus_log_uniform(low: float, high: float) -> OneMinusLogUniform:
    """``1 - 10**U`` on ``[low, high]``; see :class:`OneMinusLogUniform`. Example: ``(0.9, 0.999)``."""
    return OneMinusLogUniform(low, high)


def int_uniform(low: int, high: int) -> IntUniform:
    """Uniform integer in ``[low, high]`` inclusive; see :class:`IntUniform`."""
    return IntUniform(low, high)


def choice(options: Iterable) -> Choice:
    """One of ``options``; see :class:`Choice`."""
    return Choice(options)


def powers_of_two(low: int, high: int) -> PowersOfTwo:
    """A power of two in ``[low, high]``; see :class:`PowersOfTwo`. Example: ``powers_of_two(16, 512)``."""
    return PowersOfTwo(low, high)


# ---------------------------------------------------------------- spaces

def validate_space(space: Mapping) -> dict:
    """Check a space before any trial runs and return it as a plain dict.

    Args:
        space: mapping of names (str) to :class:`Domain` objects or JSON-serializable constants.

    Returns:
        dict: a shallow copy with NumPy scalars turned into Python scalars.

    Raises:
        TypeError: when ``space`` is not a mapping or a name is not a string.
        ValueError: when the space is empty or a constant cannot be stored as JSON.
    """
    if not isinstance(space, Mapping):
        raise TypeError(f"a search space must be a dict of name -> domain, got {type(space).__name__}")
    if not space:
        raise ValueError("the search space is empty; expected at least one hyperparameter")
    out = {}
    for name, dom in space.items():
        if not isinstance(name, str):
            raise TypeError(f"search space names must be strings, got {type(name).__name__} {name!r}")
        if not isinstance(dom, Domain):
            dom = _plain(dom)
            _check_json(f"space entry {name!r}: constant", dom)
        out[name] = dom
    return out


def sample(space: Mapping, generator: Generator | None = None, seed: int | None = None) -> dict:
    """Draw one configuration from ``space``.

    Args:
        space: a dict of domains and constants.
        generator: a :class:`gradkit.Generator` to draw from (default: gradkit's global one).
        seed: convenience: draw from a fresh ``Generator(seed)`` instead.

    Returns:
        dict: name -> plain Python value, in the space's key order.
    """
    if seed is not None:
        generator = Generator(seed)
    rng = get_generator(generator)
    return {k: (d.sample(rng) if isinstance(d, Domain) else d) for k, d in validate_space(space).items()}


def sample_configs(space: Mapping, n: int, generator: Generator | None = None, seed: int | None = None) -> list:
    """Draw ``n`` configurations in order; the same seed always gives the same list (and prefixes agree).

    Args:
        space: a dict of domains and constants.
        n: how many configurations.
        generator: the :class:`gradkit.Generator` to draw from; ``seed`` makes a fresh one.
        seed: seed for a fresh generator.

    Returns:
        list[dict]: the configurations.
    """
    if seed is not None:
        generator = Generator(seed)
    if generator is None:
        generator = Generator(None)
    return [sample(space, generator) for _ in range(int(n))]


def zoom_space(space: Mapping, best_configs: list[dict], factor: float = 0.5) -> dict:
    """Narrow every range of ``space`` around ``best_configs`` (the coarse-to-fine step).

    For a numeric domain the new range has ``factor`` times the old width *in the
    domain's own scale* (log10 for :func:`log_uniform`, ``log10(1-x)`` for
    :func:`one_minus_log_uniform`, log2 for :func:`powers_of_two`), is centred on
    the mean of the best configurations' values in that scale, and is shifted to
    stay inside the old range. Integer domains (:func:`int_uniform`, and
    :func:`powers_of_two` on its exponents) keep ``round(factor * span) + 1``
    consecutive values around that centre. A :func:`choice` keeps the options
    seen among the best configurations. A range that collapses to one value
    becomes a constant.

    Args:
        space: the current space.
        best_configs: the configurations of the best trials (at least one).
        factor: the width ratio, in (0, 1].

    Returns:
        dict: the narrowed space.

    Raises:
        ValueError: when ``best_configs`` is empty or ``factor`` is outside (0, 1].
    """
    if not best_configs:
        raise ValueError("zoom_space needs at least one configuration to zoom around")
    if not 0 < factor <= 1:
        raise ValueError(f"zoom factor must be in (0, 1], got {factor}")
    out = {}
    for k, d in validate_space(space).items():
        out[k] = d.zoom([c[k] for c in best_configs], factor) if isinstance(d, Domain) else d
    return out


_KINDS = {c.kind: c for c in (Uniform, LogUniform, OneMinusLogUniform, IntUniform, PowersOfTwo)}


def space_to_dict(space: Mapping) -> dict:
    """A JSON/TOML-friendly description: domains become ``{"type": ..., ...}`` tables."""
    return {k: (d.to_dict() if isinstance(d, Domain) else d) for k, d in validate_space(space).items()}


def space_from_dict(desc: Mapping, source: str = "space") -> dict:
    """Build a space from a description like the ones :func:`space_to_dict` or a TOML recipe give.

    Each entry is a constant or a table ``{type = "log_uniform", low = 1e-4, high = 1.0}``
    (types: ``uniform``, ``log_uniform``, ``one_minus_log_uniform``, ``int_uniform``,
    ``powers_of_two`` with ``low``/``high``; ``choice`` with ``options``).

    Args:
        desc: the description.
        source: where it came from, for error messages (e.g. a file name).

    Raises:
        ValueError: for an unknown type, missing or unexpected keys, or bad ranges, naming the entry.
    """
    if not isinstance(desc, Mapping):
        raise ValueError(f"{source}: expected a table of hyperparameters, got {type(desc).__name__}")
    space = {}
    for name, entry in desc.items():
        where = f"{source}: entry {name!r}"
        if not isinstance(entry, Mapping):
            space[name] = entry
            continue
        if "type" not in entry:
            raise ValueError(f"{where} is a table without 'type'; expected e.g. "
                             f"{{type = \"log_uniform\", low = 1e-4, high = 1.0}}")
        kind = entry["type"]
        keys = set(entry) - {"type"}
        try:
            if kind == "choice":
                if keys != {"options"}:
                    raise ValueError(f"expected exactly the key 'options', got {sorted(keys)}")
                space[name] = Choice(entry["options"])
            elif kind in _KINDS:
                if keys != {"low", "high"}:
                    raise ValueError(f"expected exactly the keys 'low' and 'high', got {sorted(keys)}")
                space[name] = _KINDS[kind](entry["low"], entry["high"])
            else:
                raise ValueError(f"unknown type {kind!r}; expected one of {sorted([*_KINDS, 'choice'])}")
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: {e}") from None
    return validate_space(space)


def space_from_toml(path) -> dict:
    """Load a search space from a TOML recipe.

    The hyperparameters sit in a ``[space]`` table (or at the top level when
    there is none)::

        [space]
        lr = { type = "log_uniform", low = 1e-4, high = 1.0 }
        batch_size = { type = "powers_of_two", low = 16, high = 512 }
        activation = { type = "choice", options = ["relu", "tanh"] }
        epochs = 10

    Args:
        path: the ``.toml`` file.

    Returns:
        dict: the space.

    Raises:
        FileNotFoundError: when the file does not exist.
        ValueError: for invalid TOML or a bad entry (the message names the file and entry).
    """
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError as e:
            raise ImportError("reading TOML on Python 3.10 needs tomli: pip install tomli") from e
    path = str(path)
    with open(path, "rb") as f:
        try:
            doc = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{path}: invalid TOML: {e}") from None
    desc = doc.get("space", doc)
    return space_from_dict(desc, source=path)


def default_space() -> dict:
    """A sensible default space for a small classifier, in order of importance.

    ``lr`` log-uniform in [1e-4, 1]; ``hidden_units`` integer in [16, 512];
    ``batch_size`` a power of two in [16, 512]; ``dropout`` uniform in [0, 0.5];
    ``lr_decay`` log-uniform in [1e-3, 1], for the schedule
    ``lr_epoch = lr / (1 + lr_decay * epoch)``.

    Returns:
        dict: the space.
    """
    return {
        "lr": log_uniform(1e-4, 1.0),
        "hidden_units": int_uniform(16, 512),
        "batch_size": powers_of_two(16, 512),
        "dropout": uniform(0.0, 0.5),
        "lr_decay": log_uniform(1e-3, 1.0),
    }
