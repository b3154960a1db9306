"""Switching graph recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

Each works as a context manager and as a function decorator, as in PyTorch. The mode belongs
to the thread that sets it, as in PyTorch: ``no_grad`` in one thread leaves every other thread
recording, and a new thread starts with recording on (gradkit's worker threads in :mod:`gradkit.parallel` run raw
array kernels only, never recording ops).

Examples:
    >>> import gradkit as gk
    >>> x = gk.ones(2, requires_grad=True)
    >>> with gk.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
"""

from __future__ import annotations

import functools
import threading


class _GradMode(threading.local):
    """The per-thread recording flag. ``enabled`` is a class attribute, so each new thread
    starts with recording on; setting it in a thread creates that thread's own value.

    This is the one piece of mutable module state in autograd: every op reads it when it runs
    (``_mode.enabled``, one attribute lookup), and only the context managers below write it.
    """

    enabled = True


_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when ops record the graph in this thread."""
    return _mode.enabled


class set_grad_enabled:
    """Turn graph recording on or off in this thread; also a context manager restoring the previous mode."""

    def __init__(self, mode: bool):
        self.prev = _mode.enabled
        self.mode = bool(mode)
        _mode.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _mode.enabled = self.prev
        return False


class _GradModeContext:
    mode = True

    def __enter__(self):
        self._prev = _mode.enabled
        _mode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _mode.enabled = self._prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _mode.enabled
            _mode.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _mode.enabled = prev

        return wrapper


class no_grad(_GradModeContext):
    """Context manager and decorator: ops inside record no graph (inference, updates)."""

    mode = False


class enable_grad(_GradModeContext):
    """Context manager and decorator: record the graph even inside ``no_grad``."""

    mode = True
