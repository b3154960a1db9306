"""Preprocessing fitted on the training split only, and a finiteness check for input data.

The rule (why it matters): statistics such as the mean and standard deviation are
part of the model. Fit them on the training split, then transform dev and test with
those same training statistics; fitting on all data leaks information from the
evaluation sets into training.

Every preprocessor has ``fit(X)`` / ``transform(X)`` / ``fit_transform(X)`` /
``inverse_transform(X)`` and ``state_dict()`` / ``load_state_dict()`` holding plain
NumPy arrays (so the fitted statistics can be saved next to the model weights, e.g.
in a safetensors file). Statistics are computed in float64 and applied in the data's
own float dtype (float32 stays float32; integer data such as uint8 pixels becomes
the default float dtype).

Examples:
    >>> import numpy as np
    >>> X_train = np.array([[1.0, 10.0], [3.0, 30.0]], dtype=np.float32)
    >>> X_dev = np.array([[2.0, 20.0]], dtype=np.float32)
    >>> scaler = Standardize().fit(X_train)
    >>> scaler.transform(X_dev).tolist()
    [[0.0, 0.0]]
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import get_array_module, get_default_dtype, is_cupy_array, to_numpy
from ..tensor import Tensor


def _unwrap(X, who: str):
    """(raw array, was_tensor) for an array-like or Tensor input."""
    if isinstance(X, Tensor):
        return X.array, True
    if isinstance(X, np.ndarray) or is_cupy_array(X):
        return X, False
    arr = np.asarray(X)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{who} expects a numeric array or gk.Tensor, got {type(X).__name__} of dtype {arr.dtype}")
    return arr, False


def _wrap(arr, was_tensor: bool):
    return Tensor(arr) if was_tensor else arr


def _float_dtype(arr):
    return arr.dtype if arr.dtype.kind == "f" else get_default_dtype()


def check_finite(X, name: str = "X"):
    """Raise if ``X`` holds NaN or infinite values, naming how many and in which columns.

    The training loop calls this before training starts, so bad input is reported
    where it came from rather than as a NaN loss many steps later.

    Args:
        X: a numeric array or gk.Tensor, samples on the first axis.
        name: how to call the data in the message (e.g. ``"X_train"``).

    Returns:
        ``X`` unchanged (so it can be used inline).

    Raises:
        ValueError: naming the count of NaN and of infinite values and the columns
            (feature indices after the sample axis) where they occur.

    Examples:
        >>> import numpy as np
        >>> check_finite(np.array([[1.0, np.nan], [np.inf, 2.0]]), "X_train")
        Traceback (most recent call last):
        ...
        ValueError: X_train contains 1 NaN and 1 infinite value(s) (2 of 4 entries) in 2 column(s): column 0 (1 inf), column 1 (1 NaN)
    """
    arr, _ = _unwrap(X, f"check_finite({name})")
    if arr.dtype.kind not in "fc":
        return X
    xp = get_array_module(arr)
    if bool(xp.isfinite(arr).all()):
        return X
    a = to_numpy(arr)
    nan = np.isnan(a)
    inf = np.isinf(a)
    n_nan, n_inf = int(nan.sum()), int(inf.sum())
    if a.ndim >= 2:
        nan_c = nan.reshape(a.shape[0], -1).sum(0)
        inf_c = inf.reshape(a.shape[0], -1).sum(0)
        cols = np.flatnonzero(nan_c + inf_c)
        parts = []
        for c in cols[:10]:
            where = np.unravel_index(int(c), a.shape[1:])
            label = int(c) if a.ndim == 2 else tuple(int(w) for w in where)
            what = ", ".join(x for x in (f"{nan_c[c]} NaN" if nan_c[c] else "",
                                         f"{inf_c[c]} inf" if inf_c[c] else "") if x)
            parts.append(f"column {label} ({what})")
        more = f", ... and {len(cols) - 10} more" if len(cols) > 10 else ""
        where_txt = f" in {len(cols)} column(s): " + ", ".join(parts) + more
    else:
        pos = np.flatnonzero(nan | inf)
        where_txt = " at index " + ", ".join(str(int(p)) for p in pos[:10]) + (", ..." if len(pos) > 10 else "")
    raise ValueError(
        f"{name} contains {n_nan} NaN and {n_inf} infinite value(s) ({n_nan + n_inf} of {a.size} entries)"
        f"{where_txt}"
    )


class Preprocessor:
    """Base class: a transform whose parameters are fitted on training data.

    Subclasses set ``_state_keys`` (the names of their fitted arrays) and implement
    ``_fit(arr)``, ``_transform(arr)`` and ``_inverse(arr)`` on raw arrays.
    """

    _state_keys: tuple = ()

    def __init__(self):
        self._fitted = False

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` (or :meth:`load_state_dict`) has run."""
        return self._fitted

    def fit(self, X) -> "Preprocessor":
        """Compute the statistics from training data ``X`` (samples on the first axis); returns self.

        Raises:
            ValueError: for empty data or data with NaN/infinite values.
        """
        arr, _ = _unwrap(X, f"{type(self).__name__}.fit")
        if arr.ndim < 1 or arr.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}.fit needs at least one sample, got shape {tuple(arr.shape)}")
        check_finite(arr, f"{type(self).__name__}.fit input")
        self._fit(arr)
        self._fitted = True
        return self

    def _check_fitted(self, what: str):
        if not self._fitted:
            raise RuntimeError(
                f"{type(self).__name__}.{what} called before fit: call fit(X_train) (or load_state_dict) first"
            )

    def transform(self, X):
        """Apply the fitted transform (to train, dev or test data alike).

        Raises:
            RuntimeError: when called before :meth:`fit`.
            ValueError: when the feature shape differs from the fitted one.
        """
        self._check_fitted("transform")
        arr, was_tensor = _unwrap(X, f"{type(self).__name__}.transform")
        return _wrap(self._transform(arr), was_tensor)

    def fit_transform(self, X):
        """``fit(X)`` then ``transform(X)``: use on the training split only."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X):
        """Undo :meth:`transform` (e.g. to show standardized images in original units).

        Raises:
            RuntimeError: when called before :meth:`fit`.
        """
        self._check_fitted("inverse_transform")
        arr, was_tensor = _unwrap(X, f"{type(self).__name__}.inverse_transform")
        return _wrap(self._inverse(arr), was_tensor)

    __call__ = transform

    def state_dict(self) -> dict:
        """The fitted statistics as plain NumPy arrays (copies).

        Raises:
            RuntimeError: when called before :meth:`fit`.
        """
        self._check_fitted("state_dict")
        return {k: np.array(getattr(self, k), copy=True) for k in self._state_keys}

    def load_state_dict(self, state: dict) -> None:
        """Restore fitted statistics saved by :meth:`state_dict` (marks the preprocessor fitted).

        Raises:
            KeyError: naming missing and unexpected keys.
        """
        missing = [k for k in self._state_keys if k not in state]
        unexpected = [k for k in state if k not in self._state_keys]
        if missing or unexpected:
            raise KeyError(f"{type(self).__name__}.load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        for k in self._state_keys:
            v = state[k]
            v = v.array if isinstance(v, Tensor) else v
            setattr(self, k, np.array(to_numpy(v), copy=True))
        self._after_load()
        self._fitted = True

    def _after_load(self):
        pass

    def __repr__(self) -> str:
        return f"{type(self).__name__}({'fitted' if self._fitted else 'not fitted'})"


def _reduce_axes(axis, ndim: int) -> tuple:
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % ndim for a in axes)
    if 0 not in axes:
        raise ValueError(f"the statistics axis must include the sample axis 0, got axis={axis}")
    return axes


class _AxisStats(Preprocessor):
    """Shared machinery: statistics reduced over ``axis`` (keepdims), stored without the sample axis."""

    def __init__(self, axis=0):
        super().__init__()
        self.axis = axis

    def _reduce(self, arr, fn):
        """``fn(arr, axes)`` as float64 NumPy, reduced shape without the sample axis. ``fn``
        accumulates in float64 itself (``dtype=np.float64``): no float64 copy of the data."""
        axes = _reduce_axes(self.axis, arr.ndim)
        out = fn(arr, axes)
        out = out.reshape(tuple(1 if i in axes else s for i, s in enumerate(arr.shape))[1:])
        return to_numpy(out).astype(np.float64, copy=False)

    def _cast(self, stat, arr):
        """The statistic as an array of the data's module and float dtype, broadcastable to (N, *F)."""
        xp = get_array_module(arr)
        return xp.asarray(stat, dtype=_float_dtype(arr))[None]

    def _check(self, arr, stat):
        if arr.ndim != stat.ndim + 1:
            raise ValueError(
                f"{type(self).__name__} was fitted on data with {stat.ndim + 1} dimensions, got shape {tuple(arr.shape)}"
            )
        for i, (s, d) in enumerate(zip(stat.shape, arr.shape[1:])):
            if s != 1 and s != d:
                raise ValueError(
                    f"{type(self).__name__} was fitted on samples of shape {self._fit_shape} but got data of shape "
                    f"{tuple(arr.shape)}"
                )

    @property
    def _fit_shape(self):
        st = getattr(self, self._state_keys[0])
        return tuple(st.shape)

    def _as_float(self, arr):
        return arr.astype(_float_dtype(arr), copy=False)


class Standardize(_AxisStats):
    r"""Z-score standardization: :math:`x' = (x - \mu) / \sigma`, with :math:`\mu, \sigma` from training data.

    Features with zero standard deviation (constant on the training set) are only
    centered (their scale is set to 1), so no division by zero happens.

    Args:
        axis: the axes the statistics are taken over; must include 0 (samples). ``0``
            gives per-feature statistics; ``(0, 2, 3)`` per-channel statistics of NCHW images.
        eps: a standard deviation ``<= eps`` counts as zero.

    Attributes:
        mean: the fitted mean (feature shape, float64).
        std: the fitted standard deviation (population, ``ddof=0``), zeros replaced by 1.

    Examples:
        >>> import numpy as np
        >>> s = Standardize().fit(np.array([[0.0, 5.0], [2.0, 5.0]]))
        >>> s.transform(np.array([[1.0, 7.0]])).tolist()
        [[0.0, 2.0]]
    """

    _state_keys = ("mean", "std")

    def __init__(self, axis=0, eps: float = 1e-12):
        super().__init__(axis)
        self.eps = float(eps)

    def _fit(self, arr):
        self.mean = self._reduce(arr, lambda a, ax: a.mean(axis=ax, dtype=np.float64))
        std = self._reduce(arr, lambda a, ax: a.std(axis=ax, dtype=np.float64))
        self.std = np.where(std <= self.eps, 1.0, std)

    def _transform(self, arr):
        self._check(arr, self.mean)
        arr = self._as_float(arr)
        return (arr - self._cast(self.mean, arr)) / self._cast(self.std, arr)

    def _inverse(self, arr):
        self._check(arr, self.mean)
        arr = self._as_float(arr)
        return arr * self._cast(self.std, arr) + self._cast(self.mean, arr)


class MeanCenter(_AxisStats):
    r"""Subtract the training mean: :math:`x' = x - \mu`.

    Args:
        axis: the axes the mean is taken over (must include 0); see :class:`Standardize`.

    Examples:
        >>> import numpy as np
        >>> MeanCenter().fit(np.array([[1.0], [3.0]])).transform(np.array([[5.0]])).tolist()
        [[3.0]]
    """

    _state_keys = ("mean",)

    def _fit(self, arr):
        self.mean = self._reduce(arr, lambda a, ax: a.mean(axis=ax, dtype=np.float64))

    def _transform(self, arr):
        self._check(arr, self.mean)
        arr = self._as_float(arr)
        return arr - self._cast(self.mean, arr)

    def _inverse(self, arr):
        self._check(arr, self.mean)
        arr = self._as_float(arr)
        return arr + self._cast(self.mean, arr)


class MinMaxScale(_AxisStats):
    r"""Scale each feature linearly so the training minimum and maximum map to ``feature_range``.

    :math:`x' = (x - \min) / (\max - \min) \cdot (b - a) + a`. A constant feature
    (zero range) is shifted to ``a``. Dev/test values outside the training range map
    outside ``feature_range`` (they are not clipped).

    Args:
        feature_range: the target interval ``(a, b)`` with ``a < b``.
        axis: the axes the extremes are taken over (must include 0).

    Raises:
        ValueError: when ``feature_range`` is not an increasing pair.

    Examples:
        >>> import numpy as np
        >>> MinMaxScale((-1, 1)).fit_transform(np.array([[0.0], [5.0], [10.0]])).ravel().tolist()
        [-1.0, 0.0, 1.0]
    """

    _state_keys = ("data_min", "data_max", "feature_range")

    def __init__(self, feature_range=(0.0, 1.0), axis=0):
        super().__init__(axis)
        fr = tuple(float(v) for v in feature_range)
        if len(fr) != 2 or not fr[0] < fr[1] or not all(math.isfinite(v) for v in fr):
            raise ValueError(f"MinMaxScale feature_range must be an increasing pair (min, max), got {feature_range!r}")
        self.feature_range = np.asarray(fr, dtype=np.float64)

    def _fit(self, arr):
        self.data_min = self._reduce(arr, lambda a, ax: a.min(axis=ax))
        self.data_max = self._reduce(arr, lambda a, ax: a.max(axis=ax))

    def _scale(self):
        rng = self.data_max - self.data_min
        rng = np.where(rng == 0, 1.0, rng)
        lo, hi = float(self.feature_range[0]), float(self.feature_range[1])
        return (hi - lo) / rng, lo

    def _transform(self, arr):
        self._check(arr, self.data_min)
        arr = self._as_float(arr)
        scale, lo = self._scale()
        return (arr - self._cast(self.data_min, arr)) * self._cast(scale, arr) + lo

    def _inverse(self, arr):
        self._check(arr, self.data_min)
        arr = self._as_float(arr)
        scale, lo = self._scale()
        return (arr - lo) / self._cast(scale, arr) + self._cast(self.data_min, arr)

    def _after_load(self):
        fr = np.asarray(self.feature_range, dtype=np.float64).reshape(-1)
        if fr.shape != (2,) or not fr[0] < fr[1]:
            raise ValueError(f"MinMaxScale.load_state_dict: feature_range must be an increasing pair, got {fr}")
        self.feature_range = fr


class FlattenImages(Preprocessor):
    """Flatten samples ``(N, C, H, W)`` (or any ``(N, *shape)``) to ``(N, C*H*W)`` for dense layers.

    ``fit`` records the sample shape; ``inverse_transform`` restores it. Nothing is
    learned from the values, but fitting keeps the same fit-on-train API and lets the
    sample shape travel with the model.

    Attributes:
        input_shape: the fitted sample shape as an int64 array.

    Examples:
        >>> import numpy as np
        >>> f = FlattenImages().fit(np.zeros((2, 1, 8, 8)))
        >>> f.transform(np.zeros((5, 1, 8, 8))).shape
        (5, 64)
    """

    _state_keys = ("input_shape",)

    def fit(self, X) -> "FlattenImages":
        arr, _ = _unwrap(X, "FlattenImages.fit")
        if arr.ndim < 2:
            raise ValueError(f"FlattenImages.fit expects samples on the first axis (N, ...), got shape {tuple(arr.shape)}")
        self.input_shape = np.asarray(arr.shape[1:], dtype=np.int64)
        self._fitted = True
        return self

    def _transform(self, arr):
        shape = tuple(int(s) for s in self.input_shape)
        if tuple(arr.shape[1:]) != shape:
            raise ValueError(
                f"FlattenImages was fitted on samples of shape {shape} but got data of shape {tuple(arr.shape)}"
            )
        return arr.reshape(arr.shape[0], -1)

    def _inverse(self, arr):
        shape = tuple(int(s) for s in self.input_shape)
        if arr.ndim != 2 or arr.shape[1] != int(np.prod(shape)):
            raise ValueError(
                f"FlattenImages.inverse_transform expects shape (N, {int(np.prod(shape))}), got {tuple(arr.shape)}"
            )
        return arr.reshape((arr.shape[0],) + shape)


class Pipeline(Preprocessor):
    """A sequence of preprocessors fitted and applied in order (scikit-learn's ``Pipeline``).

    ``fit`` fits each step on the output of the previous ones (training data only);
    ``inverse_transform`` undoes the steps in reverse order. ``state_dict`` keys are
    prefixed with the step's index: ``"0.mean"``, ``"1.input_shape"``...

    Args:
        steps: preprocessor instances, applied first to last.

    Raises:
        TypeError: when a step is not a :class:`Preprocessor`.

    Examples:
        >>> import numpy as np
        >>> p = Pipeline([FlattenImages(), Standardize()])
        >>> p.fit_transform(np.arange(8.0).reshape(2, 2, 2)).shape
        (2, 4)
    """

    def __init__(self, steps):
        super().__init__()
        self.steps = list(steps)
        for i, s in enumerate(self.steps):
            if not isinstance(s, Preprocessor):
                raise TypeError(f"Pipeline step {i} must be a Preprocessor, got {type(s).__name__}")

    @property
    def is_fitted(self) -> bool:
        return all(s.is_fitted for s in self.steps)

    def fit(self, X) -> "Pipeline":
        out = X
        for s in self.steps[:-1]:
            out = s.fit_transform(out)
        if self.steps:
            self.steps[-1].fit(out)
        self._fitted = True
        return self

    def transform(self, X):
        self._fitted = self.is_fitted
        self._check_fitted("transform")
        for s in self.steps:
            X = s.transform(X)
        return X

    __call__ = transform

    def inverse_transform(self, X):
        self._fitted = self.is_fitted
        self._check_fitted("inverse_transform")
        for s in reversed(self.steps):
            X = s.inverse_transform(X)
        return X

    def state_dict(self) -> dict:
        self._fitted = self.is_fitted
        self._check_fitted("state_dict")
        return {f"{i}.{k}": v for i, s in enumerate(self.steps) for k, v in s.state_dict().items()}

    def load_state_dict(self, state: dict) -> None:
        per = [dict() for _ in self.steps]
        unexpected = []
        for key, v in state.items():
            head, _, rest = key.partition(".")
            if head.isdigit() and int(head) < len(self.steps) and rest:
                per[int(head)][rest] = v
            else:
                unexpected.append(key)
        if unexpected:
            raise KeyError(f"Pipeline.load_state_dict: unexpected keys {unexpected}")
        for i, (s, st) in enumerate(zip(self.steps, per)):
            try:
                s.load_state_dict(st)
            except KeyError as exc:
                raise KeyError(f"Pipeline step {i} ({type(s).__name__}): {exc.args[0]}") from exc
        self._fitted = True

    def __repr__(self) -> str:
        return "Pipeline([" + ", ".join(repr(s) for s in self.steps) + "])"
