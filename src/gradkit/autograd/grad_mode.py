"""Switching graph recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

Each works as a context manager and as a function decorator, as in PyTorch.

Example:
    >>> import gradkit as gk
    >>> x = gk.ones(2, requires_grad=True)
    >>> with gk.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
"""

from __future__ import annotations

import functools

# A one-element list so every module reads the same flag without a function call.
_enabled = [True]


def is_grad_enabled() -> bool:
    """True when ops record the graph."""
    return _enabled[0]


class set_grad_enabled:
    """Turn graph recording on or off; also a context manager restoring the previous mode."""

    def __init__(self, mode: bool):
        self.prev = _enabled[0]
        self.mode = bool(mode)
        _enabled[0] = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _enabled[0] = self.prev
        return False


class _GradModeContext:
    mode = True

    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = self.mode
        return self

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _enabled[0]
            _enabled[0] = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _enabled[0] = prev

        return wrapper


class no_grad(_GradModeContext):
    """Context manager and decorator: ops inside record no graph (inference, updates)."""

    mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator: record the graph even inside ``no_grad``."""

    mode = True
