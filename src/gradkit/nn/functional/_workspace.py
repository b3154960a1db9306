"""A pool of large scratch arrays reused across calls of the fused LSTM (private).

:func:`release_workspace` is public through :mod:`gradkit.nn.functional.rnn`.
"""

from __future__ import annotations

import numpy as np


class _Workspace:
    """A small free list of large scratch arrays, reused across calls of the fused LSTM.

    Fresh multi-megabyte NumPy arrays come from ``mmap`` and cost a page fault per 4 KiB on
    first touch (see ``benchmarks/NOTES.md``); reusing them avoids that. An array comes back
    only when its owner lets go of it: the scratch saved for the backward through a
    :class:`_Lease` (when the engine frees the op), and the state buffer whose view is the
    output through :class:`_Returned` (when the last view of it dies).
    At most ``per_key`` arrays are kept per (shape, dtype); CuPy has its own memory pool, so
    only NumPy arrays are kept. :func:`release_workspace` empties it.
    """

    def __init__(self, per_key: int = 4):
        self.per_key = per_key
        self.free: dict = {}

    def take(self, xp, shape, dtype):
        """An array of ``shape`` and ``dtype``: one from the pool if there is one, else a new one."""
        if xp is np:
            lst = self.free.get((shape, np.dtype(dtype)))
            if lst:
                try:
                    return lst.pop()
                except IndexError:  # pragma: no cover - another thread took the last one first
                    pass
        return xp.empty(shape, dtype=dtype)

    def take_shared(self, xp, shape, dtype):
        """Like :meth:`take`, for an array whose views may leave the op (an output): it comes
        back to the pool only once the last view of it is gone."""
        a = self.take(xp, shape, dtype)
        return np.asarray(_Returned(a)) if xp is np else a

    def give(self, *arrays):
        """Return arrays to the pool (only whole NumPy arrays, at most ``per_key`` of a kind)."""
        for a in arrays:
            if type(a) is np.ndarray and a.base is None:
                lst = self.free.setdefault((a.shape, a.dtype), [])
                if len(lst) < self.per_key:
                    lst.append(a)

    def clear(self):
        """Drop every pooled array."""
        self.free.clear()


_WORKSPACE = _Workspace()


def release_workspace() -> None:
    """Drop the scratch arrays the fused LSTM keeps for reuse (frees their memory)."""
    _WORKSPACE.clear()


class _Returned:
    """Exports a workspace array through ``__array_interface__`` so that arrays made from it keep
    this object as their ``base``; when the last of them dies the array goes back to the pool."""

    def __init__(self, arr):
        self.arr = arr
        self.__array_interface__ = arr.__array_interface__

    def __del__(self):
        try:
            _WORKSPACE.give(self.arr)
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


class _Lease:
    """Holds workspace arrays saved for the backward; returns them to the pool when released
    (the engine drops an op's saved state after its backward unless ``retain_graph``)."""

    __slots__ = ("arrays",)

    def __init__(self, *arrays):
        self.arrays = arrays

    def __del__(self):
        try:
            _WORKSPACE.give(*self.arrays)
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

