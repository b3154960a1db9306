"""gradkit: a readable, fast deep-learning framework on NumPy (CuPy on a GPU).

Example:
    >>> import gradkit as gk
    >>> _ = gk.manual_seed(0)
    >>> w = gk.tensor(0.0, requires_grad=True)
    >>> for _ in range(100):
    ...     loss = (w - 3) ** 2
    ...     loss.backward()
    ...     with gk.no_grad():
    ...         w -= 0.1 * w.grad
    ...     w.grad = None
    >>> round(w.item(), 3)
    3.0
"""

from __future__ import annotations

import importlib

from . import autograd  # noqa: F401
from .autograd import Function, enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .backend import (  # noqa: F401
    get_default_device, get_default_dtype, set_default_device, set_default_dtype,
)
from .creation import (  # noqa: F401
    arange, as_tensor, empty, eye, from_numpy, full, full_like, linspace, ones, ones_like, rand, rand_like,
    randint, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from .ops import *  # noqa: F401,F403  (every op of gk.*: gradkit.ops.__all__)
from .parallel import get_num_threads, set_num_threads  # noqa: F401
from .random import Generator, get_rng_state, manual_seed, set_rng_state  # noqa: F401
from .tensor import Tensor  # noqa: F401

float32 = "float32"
float64 = "float64"
int64 = "int64"
int32 = "int32"
bool_ = "bool"

__version__ = "0.1.0"

# Subpackages load on first use so that `import gradkit` stays light.
_LAZY = ("nn", "optim", "data", "train", "diagnose", "tune", "viz", "io", "models", "cli", "linalg", "utils")
_LAZY_ATTRS = {
    "save": "io",
    "load": "io",
    "load_model": "io",
}


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_ATTRS:
        mod = importlib.import_module(f".{_LAZY_ATTRS[name]}", __name__)
        return getattr(mod, name)
    raise AttributeError(f"module 'gradkit' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY) + list(_LAZY_ATTRS))
