"""The stable softmax kernel on raw arrays: the one place its guard for non-finite rows lives.

``softmax``, ``log_softmax``, ``cross_entropy`` (in :mod:`gradkit.nn.functional`) and
:func:`gradkit.ops.logsumexp` all start from the same pieces, computed here once.

Example:
    >>> import numpy as np
    >>> from gradkit.ops._softmax import softmax_parts
    >>> m, z, p, log_s = softmax_parts(np.array([[0.0, np.log(3.0)]]), 1)
    >>> p.round(6).tolist(), (m + log_s).round(6).tolist()  # softmax and logsumexp
    ([[0.25, 0.75]], [[1.386294]])
"""

from __future__ import annotations

from ..backend import get_array_module, is_cupy_array


def softmax_parts(x, axis, *, shifted: bool = True, probs: bool = True, take=None):
    """The stable pieces of softmax along ``axis`` of a raw (NumPy or CuPy) floating array.

    .. math::
        m = \\max_j x_j, \\quad z = x - m, \\quad s = \\sum_j e^{z_j}, \\quad
        \\mathrm{softmax}(x) = e^{z} / s, \\quad \\log\\mathrm{softmax}(x) = z - \\log s, \\quad
        \\mathrm{logsumexp}(x) = m + \\log s

    Subtracting the maximum keeps ``exp`` from overflowing: every ``z <= 0`` and
    ``s >= 1``, so ``log s`` never sees 0.

    Rows whose maximum is not finite (every entry ``-inf``, as a fully masked row; any
    ``+inf``; any NaN) follow PyTorch: ``z`` and ``p`` are NaN on the whole row, so its
    softmax, log-softmax and cross-entropy are NaN, while ``log s`` is 0 and ``m`` the
    maximum itself, so its logsumexp is ``-inf``, ``+inf`` or NaN. No RuntimeWarning is
    raised for them. Checking for such rows costs one pass over the row maxima.

    Args:
        x: a floating array.
        axis: the axis (an int or a tuple of ints) to normalize over.
        shifted: also return ``z`` (then ``exp`` writes a new array); with False the
            exponentials overwrite ``z`` and ``None`` comes back in its place.
        probs: also return the softmax ``p`` (one more division); with False, ``None``.
        take: with ``shifted=False``, an index (such as ``(rows, classes)``): ``z[take]``
            is read before the exponentials overwrite ``z`` and comes back in its place
            (the target logits of a cross-entropy, without a second array).

    Returns:
        ``(m, z, p, log_s)``: ``m`` and ``log_s`` keep the reduced axes with size 1;
        ``z`` and ``p`` have ``x``'s shape (or are ``None`` or ``z[take]``, see above).

    Example:
        >>> import numpy as np
        >>> _, z, _, log_s = softmax_parts(np.array([[-np.inf, -np.inf], [0.0, -np.inf]]), 1, probs=False)
        >>> (z - log_s).tolist()  # log-softmax: a fully masked row is NaN, as in PyTorch
        [[nan, nan], [0.0, -inf]]
    """
    xp = get_array_module(x)
    m = x.max(axis=axis, keepdims=True)
    finite = xp.isfinite(m)
    bad = None if not is_cupy_array(x) and bool(finite.all()) else ~finite  # a GPU takes the masked path: no sync
    if bad is None:
        z = x - m
    else:
        z = x - xp.where(bad, x.dtype.type(0), m)
        xp.copyto(z, x.dtype.type("nan"), where=bad)
    if x.ndim == 0:
        z = xp.asarray(z)  # NumPy gives a scalar for 0-d operands
    if shifted:
        e = xp.exp(z)
    else:
        taken = None if take is None else z[take]
        e = xp.exp(z, out=z)
    s = e.sum(axis=axis, keepdims=True)
    log_s = xp.log(s)
    if bad is not None:
        log_s = xp.where(bad, x.dtype.type(0), log_s)
    p = None
    if probs:
        e /= s
        p = e
    return m, (z if shifted else taken), p, log_s
