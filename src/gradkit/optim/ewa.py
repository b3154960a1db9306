"""Exponentially weighted averages: the building block of momentum, RMSprop, Adam and
batch-norm running statistics.

``v_t = beta * v_{t-1} + (1 - beta) * x_t`` with ``v_0 = 0`` averages roughly the last
``1 / (1 - beta)`` values. Because ``v_0 = 0`` the first values are biased towards zero;
the bias-corrected estimate is ``v_t / (1 - beta^t)`` (Ng, "Bias correction in exponentially
weighted averages"; Kingma & Ba, 2015).
"""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import no_grad
from ..backend import get_array_module, to_numpy
from ..tensor import Tensor
from .optimizer import _check_beta


class ExponentiallyWeightedAverage:
    r"""A running exponentially weighted average of numbers or arrays.

    Args:
        beta: weight of the past, in [0, 1); 0.9 averages about the last 10 values.
        bias_correction: report ``v_t / (1 - beta^t)`` instead of ``v_t``.

    Raises:
        ValueError: for ``beta`` outside [0, 1).

    Examples:
        >>> avg = ExponentiallyWeightedAverage(beta=0.9, bias_correction=True)
        >>> avg.update(10.0)            # corrected: exactly the first value
        10.0
        >>> round(ExponentiallyWeightedAverage(0.9).update(10.0), 6)   # uncorrected: 0.1 * 10
        1.0
    """

    def __init__(self, beta: float = 0.9, bias_correction: bool = False):
        self.beta = _check_beta("beta", beta)
        self.bias_correction = bool(bias_correction)
        self.t = 0
        self.average = None

    def update(self, x):
        """Fold in one value (a number, array or Tensor) and return the current :attr:`value`."""
        if isinstance(x, Tensor):
            x = x.detach().array
        if isinstance(x, (int, float, np.generic)):
            x = float(x)
        if self.average is None:
            self.average = (1.0 - self.beta) * x
        else:
            self.average = self.beta * self.average + (1.0 - self.beta) * x
        self.t += 1
        return self.value

    @property
    def value(self):
        """The current average (bias-corrected when asked); None before the first update."""
        if self.average is None:
            return None
        if self.bias_correction:
            return self.average / (1.0 - self.beta**self.t)
        return self.average

    def reset(self) -> None:
        """Forget all values."""
        self.t = 0
        self.average = None

    def state_dict(self) -> dict:
        """``{"beta", "bias_correction", "t", "average"}`` with plain numbers/arrays."""
        avg = self.average
        if avg is not None and not isinstance(avg, float):
            avg = np.array(to_numpy(avg), copy=True)
        return {"beta": self.beta, "bias_correction": self.bias_correction, "t": self.t, "average": avg}

    def load_state_dict(self, state: dict) -> None:
        """Restore a state from :meth:`state_dict`."""
        self.beta = _check_beta("beta", state["beta"])
        self.bias_correction = bool(state["bias_correction"])
        self.t = int(state["t"])
        avg = state["average"]
        self.average = None if avg is None else (float(avg) if np.ndim(avg) == 0 else np.array(avg, copy=True))


def ewa(values, beta: float = 0.9, bias_correction: bool = False) -> np.ndarray:
    """The exponentially weighted average of a whole sequence, one output per input.

    Args:
        values: a 1-D sequence (list, array or Tensor) of numbers.
        beta: weight of the past, in [0, 1).
        bias_correction: divide by ``1 - beta^t``.

    Returns:
        A float64 NumPy array of the running averages.

    Examples:
        >>> ewa([1.0, 1.0, 1.0], beta=0.5).tolist()
        [0.5, 0.75, 0.875]
        >>> ewa([1.0, 1.0, 1.0], beta=0.5, bias_correction=True).tolist()
        [1.0, 1.0, 1.0]
    """
    beta = _check_beta("beta", beta)
    if isinstance(values, Tensor):
        values = values.numpy()
    xs = np.asarray(values, dtype=np.float64).reshape(-1)
    out = np.empty_like(xs)
    v = 0.0
    for t, x in enumerate(xs, start=1):
        v = beta * v + (1.0 - beta) * x
        out[t - 1] = v / (1.0 - beta**t) if bias_correction else v
    return out


class ExponentialMovingAverage:
    r"""Shadow copies of parameters kept as an exponential moving average (Polyak averaging).

    After each optimizer step call :meth:`update`: ``shadow <- decay * shadow + (1 - decay) * p``
    (the shadow starts at the parameter's value, so no bias correction is needed; with
    ``use_num_updates`` the decay is ``min(decay, (1 + n) / (10 + n))`` as in TensorFlow's
    ``ExponentialMovingAverage``). Evaluate with the averaged weights via :meth:`store`,
    :meth:`copy_to`, then :meth:`restore`.

    Args:
        parameters: the tensors to average.
        decay: weight of the past, in [0, 1).
        use_num_updates: ramp the decay up during the first updates.

    Raises:
        ValueError: for ``decay`` outside [0, 1) or an empty parameter list.

    Examples:
        >>> import gradkit as gk
        >>> w = gk.tensor([0.0], requires_grad=True)
        >>> ema = ExponentialMovingAverage([w], decay=0.5)
        >>> with gk.no_grad():
        ...     _ = w.fill_(1.0)
        >>> ema.update()
        >>> ema.shadow[0].tolist()
        [0.5]
    """

    def __init__(self, parameters, decay: float = 0.999, use_num_updates: bool = False):
        self.decay = _check_beta("decay", decay)
        self.params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
        if not self.params:
            raise ValueError("ExponentialMovingAverage got an empty parameter list")
        self.use_num_updates = bool(use_num_updates)
        self.num_updates = 0
        self.shadow = [p.array.copy() for p in self.params]
        self._backup = None

    def update(self) -> None:
        """Move each shadow towards its parameter's current value."""
        decay = self.decay
        self.num_updates += 1
        if self.use_num_updates:
            decay = min(decay, (1 + self.num_updates) / (10 + self.num_updates))
        for s, p in zip(self.shadow, self.params):
            xp = get_array_module(s)
            s *= decay
            s += xp.asarray((1.0 - decay) * p.array, dtype=s.dtype)

    @no_grad()
    def copy_to(self, parameters=None) -> None:
        """Write the averages into the parameters (default: the tracked ones)."""
        params = self.params if parameters is None else list(parameters)
        for s, p in zip(self.shadow, params):
            p.array[...] = s

    def store(self) -> None:
        """Remember the parameters' current values (to :meth:`restore` after evaluating)."""
        self._backup = [p.array.copy() for p in self.params]

    def restore(self) -> None:
        """Put back the values saved by :meth:`store`.

        Raises:
            RuntimeError: when :meth:`store` was not called.
        """
        if self._backup is None:
            raise RuntimeError("ExponentialMovingAverage.restore() called before store()")
        for b, p in zip(self._backup, self.params):
            p.array[...] = b
        self._backup = None

    def state_dict(self) -> dict:
        """Plain numbers and arrays: decay, num_updates and the shadows."""
        return {
            "decay": self.decay,
            "use_num_updates": self.use_num_updates,
            "num_updates": self.num_updates,
            "shadow": [np.array(to_numpy(s), copy=True) for s in self.shadow],
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore from :meth:`state_dict`.

        Raises:
            ValueError: when the number or shapes of the shadows differ.
        """
        shadow = state["shadow"]
        if len(shadow) != len(self.params):
            raise ValueError(f"state has {len(shadow)} shadows, but {len(self.params)} parameters are tracked")
        for i, (s, p) in enumerate(zip(shadow, self.params)):
            if tuple(np.shape(s)) != tuple(p.array.shape):
                raise ValueError(f"shadow {i} has shape {np.shape(s)}, its parameter {tuple(p.array.shape)}")
        self.decay = _check_beta("decay", state["decay"])
        self.use_num_updates = bool(state["use_num_updates"])
        self.num_updates = int(state["num_updates"])
        self.shadow = [
            get_array_module(p.array).asarray(np.array(s, dtype=p.array.dtype, copy=True)) for s, p in zip(shadow, self.params)
        ]
