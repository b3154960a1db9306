"""Convolution through cuDNN on a GPU, when CuPy has it; im2col + cuBLAS otherwise.

CuPy up to v13 wraps cuDNN (``cupy.cudnn``: ``convolution_forward``,
``convolution_backward_data``, ``convolution_backward_filter``); CuPy v14 dropped it. So
:func:`cudnn_for` returns that module only when the arrays are real CuPy arrays, CuPy was built
with cuDNN (``cupy.cuda.cudnn_enabled``) and the geometry is one cuDNN takes (symmetric
padding, float32/float64); everywhere else the convolution runs as im2col + one GEMM (cuBLAS on
a GPU), the path the device tests exercise. Setting ``GRADKIT_CUDNN=0`` turns cuDNN off.

Example:
    >>> import numpy as np
    >>> cudnn_for(np, None, np.float32) is None  # NumPy arrays: never cuDNN
    True
"""

from __future__ import annotations

import os

from ... import backend

_cache: dict = {}


def _cupy_cudnn():
    """``cupy.cudnn`` if CuPy was built with cuDNN (CuPy <= 13), else None; looked up once."""
    if "mod" not in _cache:
        mod = None
        if os.environ.get("GRADKIT_CUDNN", "1") != "0":
            try:  # pragma: no cover - needs CuPy with cuDNN and a GPU
                import cupy.cuda

                if getattr(cupy.cuda, "cudnn_enabled", False):
                    import cupy.cudnn as mod
            except Exception:  # noqa: BLE001 - CuPy v14 (no cuDNN), or a broken install: the fallback
                mod = None
        _cache["mod"] = mod
    return _cache["mod"]


def cudnn_for(xp, geom, dtype):
    """The cuDNN wrapper to run this convolution with, or None for im2col + GEMM.

    Args:
        xp: the array module of the inputs.
        geom: the convolution's ``_Geom`` (pads ``pt, pb, pl, pr``).
        dtype: the arrays' dtype.

    Returns:
        ``cupy.cudnn`` or None.
    """
    if not backend.is_real_cupy(xp) or getattr(dtype, "char", None) not in ("f", "d"):
        return None
    if geom.pt != geom.pb or geom.pl != geom.pr:  # cuDNN pads both sides alike
        return None
    return _cupy_cudnn()


def _params(g):
    return (g.pt, g.pl), (g.sh, g.sw), (g.dh, g.dw), g.groups


def forward(cudnn, xp, x, w, b, g):
    """``y = conv(x, w) + b`` by cuDNN (NCHW)."""
    pad, stride, dil, groups = _params(g)
    y = xp.empty((g.N, w.shape[0], g.Ho, g.Wo), dtype=x.dtype)
    x, w = xp.ascontiguousarray(x), xp.ascontiguousarray(w)
    b = None if b is None else xp.ascontiguousarray(b)
    cudnn.convolution_forward(x, w, b, y, pad, stride, dil, groups, auto_tune=True, tensor_core="auto")
    return y


def backward(cudnn, xp, x, w, gy, g, need):
    """``(dx, dW, db)`` by cuDNN; an entry is None where ``need`` says it is not wanted."""
    pad, stride, dil, groups = _params(g)
    gy = xp.ascontiguousarray(gy)
    gx = gw = gb = None
    if need[0]:
        gx = xp.empty(x.shape, dtype=x.dtype)
        cudnn.convolution_backward_data(xp.ascontiguousarray(w), gy, None, gx, pad, stride, dil, groups,
                                        deterministic=False, auto_tune=True, tensor_core="auto")
    if need[1]:
        gw = xp.empty(w.shape, dtype=w.dtype)
        cudnn.convolution_backward_filter(xp.ascontiguousarray(x), gy, gw, pad, stride, dil, groups,
                                          deterministic=False, auto_tune=True, tensor_core="auto")
    if len(need) > 2 and need[2]:
        gb = gy.sum(axis=(0, 2, 3))
    return gx, gw, gb
