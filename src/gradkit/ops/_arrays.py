"""Raw-array helpers for the scatter and scan kernels that work on NumPy and on CuPy.

CuPy offers ``ufunc.at`` and ``ufunc.accumulate`` only for some ufuncs; where it has none,
these run the step on the host and copy the result back (correct, and only as slow as a copy).

Examples:
    >>> import numpy as np
    >>> from gradkit.ops._arrays import accumulate, ufunc_at
    >>> out = np.zeros(3)
    >>> ufunc_at("add", out, (np.array([0, 0, 2]),), np.array([1.0, 2.0, 3.0]))
    >>> out.tolist(), accumulate("maximum", np.array([1, 3, 2]), 0).tolist()
    ([3.0, 0.0, 3.0], [1, 3, 3])
"""

from __future__ import annotations

import numpy as np

from ..backend import get_array_module


def _host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else a


def ufunc_at(name: str, out, index, values) -> None:
    """``getattr(xp, name).at(out, index, values)``: unbuffered in place, repeated indices applied each time."""
    xp = get_array_module(out)
    if xp is np:
        getattr(np, name).at(out, index, values)
        return
    try:
        getattr(xp, name).at(out, index, values)
        return
    except (AttributeError, NotImplementedError, TypeError):
        pass
    host = _host(out).copy()
    getattr(np, name).at(host, tuple(_host(i) for i in index) if isinstance(index, tuple) else _host(index),
                         _host(values))
    out[...] = xp.asarray(host)


def accumulate(name: str, a, axis: int):
    """``getattr(xp, name).accumulate(a, axis=axis)``, the running reduction along ``axis``."""
    xp = get_array_module(a)
    if xp is not np:
        try:
            return getattr(xp, name).accumulate(a, axis=axis)
        except (AttributeError, NotImplementedError, TypeError):
            return xp.asarray(getattr(np, name).accumulate(_host(a), axis=axis))
    return getattr(np, name).accumulate(a, axis=axis)
