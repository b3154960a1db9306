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
import sys

from . import accelerator, autograd, cuda, errors  # noqa: F401
from .autograd import Function, enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .backend import (  # noqa: F401
    device, get_default_device, get_default_dtype, set_default_device, set_default_dtype,
)
from .creation import (  # noqa: F401
    arange, as_tensor, bernoulli, empty, empty_like, eye, from_dlpack, from_numpy, full, full_like, is_complex,
    is_floating_point, is_tensor, linspace, logspace, multinomial, normal, numel, ones, ones_like, poisson, rand,
    rand_like, randint, randint_like, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from .dtypes import (  # noqa: F401  (gk.float, gk.int and gk.bool are set at the end of this file)
    bfloat16, bool_, cdouble, cfloat, complex64, complex128, double, dtype, finfo, float16, float32, float64,
    half, iinfo, int8, int16, int32, int64, long, short, uint8, uint16, uint32, uint64,
)
from .errors import MODULE_EQUIVALENTS as _MODULE_EQUIVALENTS
from .ops import *  # noqa: F401,F403  (every op of gk.*: gradkit.ops.__all__)
from .parallel import get_num_threads, set_num_threads  # noqa: F401
from .random import Generator, get_rng_state, manual_seed, set_rng_state  # noqa: F401
from .tensor import Tensor  # noqa: F401

__version__ = "0.1.0"


# Subpackages load on first use so that `import gradkit` stays light.
_LAZY = ("nn", "optim", "data", "train", "diagnose", "tune", "viz", "io", "models", "cli", "linalg", "onnx",
         "utils")
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
    raise errors.missing_attribute("torch", name, _MODULE_EQUIVALENTS, sys.modules[__name__])


def __dir__():
    return sorted(list(globals()) + list(_LAZY) + list(_LAZY_ATTRS))


# torch's dtype aliases that shadow Python builtins: set last, so that no code in this file reads
# them in place of the builtins.
float = float32  # noqa: A001
int = int32  # noqa: A001
bool = bool_  # noqa: A001
