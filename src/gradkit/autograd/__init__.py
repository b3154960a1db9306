"""Automatic differentiation: the graph engine, custom functions, higher-order helpers."""

from .engine import backward, grad  # noqa: F401
from .function import Function, FunctionCtx, FusedOp, Op, once_differentiable  # noqa: F401
from .functional import hessian, hvp, jacobian  # noqa: F401
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
