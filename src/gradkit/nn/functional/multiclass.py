"""Multi-class losses over logits or log-probabilities with classes on dimension 1:
``cross_entropy``, ``nll_loss`` and ``multi_margin_loss`` (``torch.nn.functional`` names).

Shapes follow PyTorch: an input ``(N, C)`` with class-index targets ``(N,)``,
``(N, C, d1, ...)`` with ``(N, d1, ...)``, or an unbatched ``(C,)`` with a 0-d target;
``cross_entropy`` also takes class probabilities of the input's shape. ``cross_entropy``,
on the hot path of every classifier, is one fused op
(:class:`~gradkit.autograd.function.FusedOp`): a raw-array derivative for speed, and a
composite of differentiable primitives for higher-order gradients.

Example:
    >>> import gradkit as gk
    >>> import gradkit.nn.functional as F
    >>> round(F.cross_entropy(gk.tensor([[2.0, 0.0, -1.0]]), gk.tensor([0])).item(), 4)
    0.1698
"""

from __future__ import annotations

import numpy as np

from ... import ops
from ...autograd.function import FusedOp
from ...backend import get_array_module
from ...ops._softmax import softmax_parts
from ...ops._util import const, ensure_tensor, shape_str
from ...tensor import Tensor
from .activation import _LogSoftmax
from .loss import _check_float, _check_reduction, _reduce, legacy_reduction

__all__ = ["cross_entropy", "nll_loss", "multi_margin_loss"]


def _class_layout(input, name):
    """The number of classes ``C``: dimension 1, or dimension 0 of an unbatched ``(C,)`` input."""
    if input.ndim == 0:
        raise ValueError(f"{name}: input needs at least one dimension (classes), got a 0-d tensor")
    C = input.shape[0] if input.ndim == 1 else input.shape[1]
    return C


def _index_shape(shape):
    """The shape of class-index targets for an input of ``shape``: (N, C, d1, ...) -> (N, d1, ...); (C,) -> ()."""
    return () if len(shape) == 1 else (shape[0],) + tuple(shape[2:])


def _rows(a):
    """An (N, C, d1, ...) array as (N * d1 * ..., C) rows (no copy for 1-D or 2-D)."""
    if a.ndim == 1:
        return a.reshape(1, -1)
    if a.ndim == 2:
        return a
    xp = get_array_module(a)
    return xp.moveaxis(a, 1, -1).reshape(-1, a.shape[1])


def _unrows(a, shape):
    """Inverse of :func:`_rows` for an array of the original ``shape``."""
    if len(shape) == 1:
        return a.reshape(shape)
    if len(shape) == 2:
        return a
    xp = get_array_module(a)
    moved = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    return xp.moveaxis(a.reshape(moved), -1, 1)


def _rows_t(t):
    """:func:`_rows` with gradkit ops (for differentiable paths)."""
    if t.ndim == 1:
        return ops.reshape(t, (1, -1))
    if t.ndim == 2:
        return t
    perm = (0,) + tuple(range(2, t.ndim)) + (1,)
    return ops.reshape(ops.permute(t, perm), (-1, t.shape[1]))


def _class_targets(input, target, name, ignore_index):
    """Validate class-index targets; returns the flat int array, the valid mask (or None) and C."""
    C = _class_layout(input, name)
    expected = _index_shape(input.shape)
    if tuple(target.shape) != expected:
        raise ValueError(
            f"{name}: class-index target of shape {shape_str(target.shape)} does not fit input of shape "
            f"{shape_str(input.shape)}: expected target shape {shape_str(expected)} (classes on dimension "
            f"{0 if input.ndim == 1 else 1}), or class probabilities of the input's shape"
        )
    t = target.array.reshape(-1)
    xp = get_array_module(t)
    valid = None
    if not t.size:
        return t, None, C
    lo, hi = int(t.min()), int(t.max())
    if lo >= 0 and hi < C and (ignore_index is None or not lo <= ignore_index <= hi):
        return t, None, C  # the common case: every index valid, none ignored (two cheap reductions)
    bad = (t < 0) | (t >= C)
    if ignore_index is not None:
        ign = t == ignore_index
        if bool(ign.any()):
            valid = ~ign
            bad &= valid
    if bool(bad.any()):
        v = int(t[xp.argmax(bad)])
        raise IndexError(
            f"{name}: target class index {v} is out of range for {C} classes (expected 0 <= index < {C}"
            + (f", or ignore_index={ignore_index})" if ignore_index is not None else ")")
        )
    if valid is not None:
        t = xp.where(valid, t, 0)
    return t, valid, C


def _class_weight(weight, C, dtype, name):
    if weight is None:
        return None
    w = weight.array if isinstance(weight, Tensor) else np.asarray(weight)
    if tuple(w.shape) != (C,):
        raise ValueError(f"{name}: weight must have one entry per class, shape ({C},), got shape {shape_str(w.shape)}")
    return w.astype(dtype, copy=False)


def _on_device_of(arr, like):
    """``arr`` moved to the array module of ``like`` (a class weight given on the CPU, say)."""
    if arr is None:
        return None
    xp = get_array_module(like)
    return arr if get_array_module(arr) is xp else xp.asarray(arr)


class _CrossEntropy(FusedOp):
    """Fused ``log_softmax`` + negative log-likelihood over rows of logits.

    Per row, with ``z = x - max x``, ``s = sum_c exp z_c``, ``p = softmax(x)`` and
    coefficients ``coef`` (``S = sum_c coef_c``), the loss and its derivative are::

        loss = -sum_c coef_c log p_c = S log s - sum_c coef_c z_c
        d loss / d x = g (p S - coef)          ((p - onehot) / N in the plain case)
        d loss / d t = -(1 - eps) w log p g    (probability targets)

    with ``coef = (1 - eps) w_y onehot(y) + (eps / C) w`` for class-index targets ``y``
    (0 on ignored rows) and ``coef = ((1 - eps) t + eps / C) w`` for probability targets
    ``t``; ``g`` is the upstream gradient, divided by ``den`` for ``'mean'``. The forward
    keeps ``p`` only (and ``z`` for probability targets); ``backward_arrays`` is the
    derivative on arrays, :meth:`composite` the same loss on primitives (for higher orders).

    Inputs: ``x`` (logits) and, for probability targets, the target tensor.
    """

    def __init__(self, t_idx, valid, weight, reduction, eps, shape):
        self.t_idx = t_idx  # int array of length M, or None for probability targets
        self.valid = valid  # bool array or None
        self.w = weight  # class-weight array or None
        self.reduction = reduction
        self.eps = eps
        self.shape = shape

    def forward(self, x, target=None):
        xp = get_array_module(x)
        t = x.dtype.type
        x2 = _rows(x)
        if self.t_idx is None:
            _, z, self.p, log_s = softmax_parts(x2, 1)
            loss = self._probability_loss(z, log_s.reshape(-1), target)
        else:
            self.rows = rows = xp.arange(x2.shape[0])
            if self.eps:  # the smoothing term needs every shifted logit
                _, z, self.p, log_s = softmax_parts(x2, 1)
                zt, zw = z[rows, self.t_idx], (z.sum(axis=1) if self.w is None else z @ self.w)
            else:  # only the targets' (the exponentials then overwrite z: no second array)
                _, zt, self.p, log_s = softmax_parts(x2, 1, shifted=False, take=(rows, self.t_idx))
                zw = None
            loss = self._index_loss(xp, zt, zw, log_s.reshape(-1), x2.shape)
        if self.reduction == "none":
            return loss.reshape(_index_shape(self.shape))
        total = loss.sum()
        if self.reduction == "mean":
            total = total / t(self.den) if self.den else t("nan")  # every target ignored: 0/0, as PyTorch
        return xp.asarray(total, dtype=x.dtype)

    def _index_loss(self, xp, zt, zw, log_s, shape):
        """Per-row losses for class indices from the target logits ``zt`` (shifted) and
        ``zw = z @ w`` (smoothing only); keeps ``S`` (None: all ones), ``a`` and ``den``."""
        t = zt.dtype.type
        M, C = shape
        w, eps, valid = self.w, self.eps, self.valid
        loss = log_s - zt
        self.a = a = None if w is None else w[self.t_idx]  # per-row class weight
        S = a
        if a is not None:
            loss *= a
        if eps:
            W = float(C) if w is None else w.sum()
            loss *= t(1 - eps)
            loss += t(eps / C) * (W * log_s - zw)
            S = t(1 - eps) * (a if a is not None else t(1)) + t(eps / C) * W
            if getattr(S, "ndim", 0) == 0:
                S = xp.full(M, S, dtype=zt.dtype)
        if valid is not None:
            loss = xp.where(valid, loss, t(0))
            S = valid.astype(zt.dtype) if S is None else xp.where(valid, S, t(0))
        self.S = S
        if self.reduction == "mean":
            if a is None:
                self.den = float(M if valid is None else int(valid.sum()))
            else:
                self.den = float((a if valid is None else xp.where(valid, a, t(0))).sum())
        return loss

    def _probability_loss(self, z, log_s, target):
        """Per-row losses for class probabilities; keeps ``tw`` (the coefficients), ``S`` and ``z``."""
        t = z.dtype.type
        M, C = z.shape
        tp = _rows(target)
        if self.eps:
            tp = tp * t(1 - self.eps) + t(self.eps / C)
        self.tw = tw = tp if self.w is None else tp * self.w
        self.S = S = tw.sum(axis=1)
        self.den = float(M)
        self.z, self.log_s = z, log_s  # for the target's gradient, log p = z - log s
        return log_s * S - (z * tw).sum(axis=1)

    def _row_grad(self, gy):
        """The upstream gradient per row (length M), or a 0-d array for mean/sum."""
        t = gy.dtype.type
        if self.reduction == "none":
            return gy.reshape(-1)
        if self.reduction == "mean":
            return gy / t(self.den) if self.den else gy * t("nan")
        return gy

    def backward_arrays(self, gy):
        p = self.p
        t = p.dtype.type
        g = self._row_grad(gy)
        gcol = g[:, None] if g.ndim == 1 else g
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = p * (gcol if self.S is None else (g * self.S)[:, None])
            if self.t_idx is not None:
                self._subtract_index_coef(gx, g)
            else:
                gx -= self.tw * gcol
            gx = _unrows(gx, self.shape)
        if self.t_idx is not None:
            return gx
        if self.needs_input_grad[1]:
            gt = self.z - self.log_s[:, None]
            gt *= t(-(1 - self.eps))
            if self.w is not None:
                gt *= self.w
            gt *= gcol
            gt = _unrows(gt, self.shape)
        return gx, gt

    def _subtract_index_coef(self, gx, g):
        """``gx -= g * coef`` for class-index targets, without building ``coef``."""
        if not self.eps and self.a is None and self.valid is None:  # the plain case: g * (p - onehot)
            gx[self.rows, self.t_idx] -= g
            return
        xp = get_array_module(gx)
        t = gx.dtype.type
        C = gx.shape[1]
        c = t(1 - self.eps)
        if self.a is not None:
            c = c * self.a
        if self.valid is not None:
            c = xp.where(self.valid, c, t(0))
        gx[self.rows, self.t_idx] -= g * c
        if self.eps:
            k = g * t(self.eps / C)
            if self.valid is not None:
                k = xp.where(self.valid, k, t(0))
            k = k[:, None] if getattr(k, "ndim", 0) == 1 else k
            gx -= k * (self.w if self.w is not None else t(1))

    def composite(self, x, target=None):
        """The same loss on primitives: ``-sum_c coef_c log_softmax(x)_c``, reduced."""
        logp = _LogSoftmax(1)(_rows_t(x))
        loss = -ops.sum(logp * self._coef(logp, target), 1)
        if self.reduction == "none":
            return ops.reshape(loss, _index_shape(self.shape))
        total = ops.sum(loss)
        if self.reduction == "mean":
            total = total * (1.0 / self.den if self.den else float("nan"))
        return total

    def _coef(self, logp, target):
        """The coefficients of each row's log-probabilities: a constant for class indices."""
        M, C = logp.shape
        dt = logp.dtype
        if self.t_idx is None:
            tt = _rows_t(target)
            if self.eps:
                tt = tt * (1 - self.eps) + self.eps / C
            return tt if self.w is None else tt * const(self.w)
        coef = get_array_module(logp.array).zeros((M, C), dtype=dt)
        coef[self.rows, self.t_idx] = dt.type(1 - self.eps) if self.a is None else dt.type(1 - self.eps) * self.a
        if self.eps:
            coef += dt.type(self.eps / C) * (self.w if self.w is not None else dt.type(1))
        if self.valid is not None:
            coef[~self.valid] = 0
        return const(coef)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits and targets: stable ``log_softmax`` + NLL in ONE fused op.

    For class-index targets ``y_i`` (and no smoothing or weights) the loss is
    ``mean_i (log sum_c exp x_ic - x_{i,y_i})`` and the gradient ``(softmax(x) - onehot(y)) / N``.
    Shapes follow PyTorch: input ``(N, C)`` with target ``(N,)``; ``(N, C, d1, ...)``
    with target ``(N, d1, ...)`` (classes on dimension 1); an unbatched ``(C,)`` with a
    0-d target. Probability targets have the input's shape and a floating dtype.

    With ``label_smoothing = eps`` (Szegedy et al., 2016) the target becomes
    ``(1 - eps) onehot + eps / C``. With class ``weight`` and ``reduction='mean'``,
    index-target losses are divided by the summed weights of the targets (as PyTorch);
    probability-target losses by the number of rows.

    As PyTorch, a row of logits whose maximum is not finite (all ``-inf``, as a fully
    masked row; a ``+inf``; a NaN) has a NaN loss (0 when its target is ignored), and a
    target on a ``-inf`` logit costs ``inf``.

    Args:
        input: logits (unnormalized scores), floating point.
        target: class indices (integer dtype) or class probabilities (floating dtype).
        weight: optional per-class weight of shape ``(C,)``.
        ignore_index: class-index targets equal to this contribute nothing (and are not
            counted in the mean). Default -100.
        size_average: deprecated (PyTorch's); see :func:`~gradkit.nn.functional.loss.legacy_reduction`.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'`` (per row, shape of the
            index target).
        label_smoothing: ``eps`` in ``[0, 1]``.

    Returns:
        The loss tensor, in the input's dtype.

    Raises:
        ValueError: target shape does not fit the input (both named); floating targets
            where indices are expected or integer targets of the input's shape; weight
            not of shape ``(C,)``; ``label_smoothing`` outside ``[0, 1]``.
        IndexError: a class index outside ``[0, C)`` (the value and ``C`` are named).

    Example:
        >>> x = gk.tensor([[0.0, 0.0]])
        >>> round(cross_entropy(x, gk.tensor([1])).item(), 4)  # log 2
        0.6931
    """
    name = "cross_entropy"
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, name)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    target = ensure_tensor(target)
    C = _class_layout(input, name)
    w = _on_device_of(_class_weight(weight, C, input.dtype, name), input.array)
    eps = float(label_smoothing)
    if target.dtype.kind == "f":
        if tuple(target.shape) != tuple(input.shape):
            if tuple(target.shape) == _index_shape(input.shape):
                raise ValueError(
                    f"{name}: got a floating-point target of shape {shape_str(target.shape)} where class indices "
                    f"are expected; convert it with target.long(), or pass class probabilities of the input's "
                    f"shape {shape_str(input.shape)}"
                )
            raise ValueError(
                f"{name}: probability target of shape {shape_str(target.shape)} does not match input of shape "
                f"{shape_str(input.shape)}"
            )
        if target.dtype != input.dtype:
            target = target.to(input.dtype) if target.requires_grad else const(target.array.astype(input.dtype))
        op = _CrossEntropy(None, None, w, reduction, eps, tuple(input.shape))
        return op(input, target)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold class indices (integer) or probabilities (float), got dtype {target.dtype}")
    if tuple(target.shape) == tuple(input.shape) and input.ndim >= 1 and tuple(target.shape) != _index_shape(input.shape):
        raise ValueError(
            f"{name}: integer target has the input's shape {shape_str(input.shape)}; class probabilities must be "
            f"floating point (target.float()), class indices must have shape {shape_str(_index_shape(input.shape))}"
        )
    t, valid, C = _class_targets(input, target, name, ignore_index)
    op = _CrossEntropy(t, valid, w, reduction, eps, tuple(input.shape))
    return op(input)


def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices given log-probabilities: ``-input[i, y_i]``.

    Use after :func:`log_softmax` (``cross_entropy`` fuses both). Shapes, ``weight``,
    ``ignore_index`` and the weighted mean follow PyTorch (see :func:`cross_entropy`).

    Args:
        input: log-probabilities ``(N, C, d1, ...)`` or ``(C,)``, floating point.
        target: class indices ``(N, d1, ...)`` or 0-d, integer dtype.
        weight: optional per-class weight of shape ``(C,)``.
        ignore_index: targets equal to it contribute nothing (default -100).
        size_average: deprecated (PyTorch's); see :func:`~gradkit.nn.functional.loss.legacy_reduction`.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'`` (default), ``'sum'`` or ``'none'``.

    Returns:
        The loss in the input's dtype (per row for ``'none'``).

    Raises:
        ValueError / IndexError: as :func:`cross_entropy`.

    Example:
        >>> lp = gk.tensor([[-0.1, -2.4]])
        >>> round(nll_loss(lp, gk.tensor([1])).item(), 4)
        2.4
    """
    name = "nll_loss"
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, name)
    target = ensure_tensor(target)
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: target must hold class indices (integer dtype), got dtype {target.dtype}"
            + ("; convert it with target.long()" if target.dtype.kind == "f" else "")
        )
    t, valid, C = _class_targets(input, target, name, ignore_index)
    w = _on_device_of(_class_weight(weight, C, input.dtype, name), input.array)
    xp = get_array_module(input.array)
    x2 = _rows_t(input)
    M = x2.shape[0]
    picked = ops.getitem(x2, (xp.arange(M), t))
    a = None if w is None else w[t]
    if valid is not None:
        vw = valid.astype(input.dtype) if a is None else xp.where(valid, a, input.dtype.type(0))
        a = vw
    loss = -picked if a is None else -(picked * const(a))
    if reduction == "none":
        return ops.reshape(loss, _index_shape(input.shape))
    total = ops.sum(loss)
    if reduction == "sum":
        return total
    den = float(M) if a is None else float(a.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / den if den else total * float("nan")


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss (Weston & Watkins / ``torch.nn.MultiMarginLoss``).

    .. math:: \\ell_i = \\frac{1}{C} \\sum_{j \\ne y_i} \\max(0, m - x_{i,y_i} + x_{ij})^p

    Args:
        input: scores of shape ``(N, C)`` (or ``(C,)``).
        target: class indices of shape ``(N,)`` (or 0-d).
        p: 1 or 2.
        margin: the margin ``m``.
        weight: optional per-class weight ``(C,)``, applied by the true class.
        size_average: deprecated (PyTorch's); see :func:`~gradkit.nn.functional.loss.legacy_reduction`.
        reduce: deprecated (PyTorch's).
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Returns:
        The loss in the input's dtype (per row for ``'none'``).

    Raises:
        ValueError: ``p`` not 1 or 2, an input of more than 2 dimensions, a target shape that does
            not fit.
        TypeError: targets that are not integer class indices.
        IndexError: a class index outside ``[0, C)``.

    Example:
        >>> round(multi_margin_loss(gk.tensor([[0.1, 0.2, 0.4, 0.8]]), gk.tensor([3])).item(), 4)
        0.325
    """
    name = "multi_margin_loss"
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_float(input, name)
    if p not in (1, 2):
        raise ValueError(f"{name}: p must be 1 or 2, got {p}")
    if input.ndim > 2:
        raise ValueError(f"{name}: input must be (N, C) or (C,), got shape {shape_str(input.shape)}")
    target = ensure_tensor(target)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold class indices (integer dtype), got dtype {target.dtype}")
    t, _, C = _class_targets(input, target, name, None)
    w = _on_device_of(_class_weight(weight, C, input.dtype, name), input.array)
    xp = get_array_module(input.array)
    x2 = _rows_t(input)
    M = x2.shape[0]
    rows = xp.arange(M)
    xy = ops.reshape(ops.getitem(x2, (rows, t)), (M, 1))
    h = ops.relu(x2 - xy + float(margin))
    if p == 2:
        h = h * h
    mask = xp.ones((M, C), dtype=input.dtype)
    mask[rows, t] = 0
    if w is not None:
        mask *= w[t][:, None]
    loss = ops.sum(h * const(mask), 1) * (1.0 / C)
    if reduction == "none":
        return ops.reshape(loss, _index_shape(input.shape))
    return _reduce(loss, reduction)
