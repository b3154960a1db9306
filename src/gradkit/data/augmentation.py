"""Data augmentation for image batches (NCHW), seeded and composable.

Geometric: :class:`RandomHorizontalFlip`, :class:`RandomCrop`, :class:`RandomRotation`,
:class:`ElasticDistortion`; pixel values: :class:`GaussianNoise`, :class:`RandomBrightness`,
:class:`RandomContrast`, :class:`ColorJitter`; resolution: :class:`Resize`,
:class:`RandomResizedCrop`; :class:`Compose` chains them.

Each augmentation is a callable on a whole batch ``(N, C, H, W)`` (a NumPy array or
a gk.Tensor; a Tensor comes back as a new Tensor that does not require grad). Each
sample gets its own random draw, vectorized over the batch (no Python loop over
pixels or samples). Random numbers come from the ``generator`` given to the
augmentation, or from gradkit's global generator (``gk.manual_seed``), never from
NumPy's global RNG, so a seeded run is reproducible.

Convention: augmentation is for TRAINING batches only. The training loop applies its
``augment`` callable to training batches and never to dev/test data or to
``evaluate``/``predict``; apply it the same way in a hand-written loop.

Example:
    >>> import numpy as np, gradkit as gk
    >>> aug = Compose([RandomHorizontalFlip(0.5), RandomCrop(8, padding=1), GaussianNoise(0.01)],
    ...               generator=gk.Generator(0))
    >>> aug(np.zeros((4, 1, 8, 8), dtype=np.float32)).shape
    (4, 1, 8, 8)
"""

from __future__ import annotations

import numbers

import numpy as np

from ..backend import get_array_module, get_default_dtype, is_cupy_array
from ..random import Generator, get_generator
from ..tensor import Tensor


def _unwrap(x, who: str, need_4d: bool = True):
    was_tensor = isinstance(x, Tensor)
    arr = x.data if was_tensor else x
    if not (isinstance(arr, np.ndarray) or is_cupy_array(arr)):
        arr = np.asarray(arr)
    if need_4d and arr.ndim != 4:
        raise ValueError(f"{who} expects a batch of images (N, C, H, W), got shape {tuple(arr.shape)}")
    return arr, was_tensor


def _wrap(arr, was_tensor: bool):
    return Tensor(arr) if was_tensor else arr


def _float(arr):
    return arr if arr.dtype.kind == "f" else arr.astype(get_default_dtype())


class Augmentation:
    """Base class: a random transform of an image batch.

    Args:
        generator: a :class:`gradkit.Generator`; ``None`` draws from gradkit's global generator.
    """

    def __init__(self, generator: Generator | None = None):
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(
                f"{type(self).__name__} generator must be a gradkit.Generator, got {type(generator).__name__}"
            )
        self.generator = generator

    def _rng(self) -> np.random.Generator:
        return get_generator(self.generator)

    def __call__(self, x):
        arr, was_tensor = _unwrap(x, type(self).__name__, self._needs_4d)
        return _wrap(self.apply(arr), was_tensor)

    _needs_4d = True

    def apply(self, x):
        """Transform the raw batch ``x``; subclasses implement this."""
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "generator")
        return f"{type(self).__name__}({args})"


class Compose(Augmentation):
    """Apply augmentations one after another (torchvision's ``Compose``).

    Args:
        transforms: callables on a batch, applied first to last.
        generator: when given, it replaces the generator of every member that has
            none, so one seed drives the whole pipeline.

    Example:
        >>> import numpy as np
        >>> x = np.arange(6.0).reshape(1, 1, 2, 3)
        >>> twice = Compose([RandomHorizontalFlip(1.0), RandomHorizontalFlip(1.0)])
        >>> bool(np.array_equal(twice(x), x))
        True
    """

    _needs_4d = False

    def __init__(self, transforms, generator: Generator | None = None):
        super().__init__(generator)
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if not callable(t):
                raise TypeError(f"Compose member {i} is not callable: {t!r}")
        if generator is not None:
            for t in self.transforms:
                if isinstance(t, Augmentation) and t.generator is None:
                    t.generator = generator

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(repr(t) for t in self.transforms) + "])"


class RandomHorizontalFlip(Augmentation):
    """Mirror each image left-right with probability ``p`` (torchvision's ``RandomHorizontalFlip``).

    Args:
        p: the probability of flipping one sample, in ``[0, 1]``.
        generator: see :class:`Augmentation`.

    Raises:
        ValueError: for ``p`` outside ``[0, 1]``.

    Example:
        >>> import numpy as np
        >>> RandomHorizontalFlip(p=1.0)(np.arange(3.0).reshape(1, 1, 1, 3)).ravel().tolist()
        [2.0, 1.0, 0.0]
    """

    def __init__(self, p: float = 0.5, generator: Generator | None = None):
        super().__init__(generator)
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"RandomHorizontalFlip p must be in [0, 1], got {p}")
        self.p = float(p)

    def apply(self, x):
        xp = get_array_module(x)
        flip = self._rng().random(x.shape[0]) < self.p
        out = x.copy()
        if flip.any():
            idx = xp.asarray(np.flatnonzero(flip))
            out[idx] = x[idx][..., ::-1]
        return out


def _pair(v, name):
    if isinstance(v, numbers.Integral):
        return int(v), int(v)
    v = tuple(int(a) for a in v)
    if len(v) != 2:
        raise ValueError(f"{name} must be an int or a pair (height, width), got {v!r}")
    return v


class RandomCrop(Augmentation):
    """Pad each image, then cut a random ``size`` window from it (torchvision's ``RandomCrop``).

    The classic CIFAR augmentation is ``RandomCrop(32, padding=4)``: shifts of up to
    4 pixels with zero fill.

    Args:
        size: the output ``(height, width)`` (an int for a square).
        padding: ``None`` (no padding), an int for all sides, a pair ``(left/right,
            top/bottom)`` or a 4-tuple ``(left, top, right, bottom)``.
        fill: the value for ``padding_mode='constant'``.
        padding_mode: ``'constant'``, ``'edge'``, ``'reflect'`` or ``'symmetric'``.
        pad_if_needed: pad images smaller than ``size`` instead of raising.
        generator: see :class:`Augmentation`.

    Raises:
        ValueError: for a bad padding spec or mode, or a crop larger than the padded image.

    Example:
        >>> import numpy as np
        >>> RandomCrop(28, padding=2)(np.zeros((3, 1, 28, 28))).shape
        (3, 1, 28, 28)
    """

    _MODES = ("constant", "edge", "reflect", "symmetric")

    def __init__(self, size, padding=None, fill: float = 0.0, padding_mode: str = "constant",
                 pad_if_needed: bool = False, generator: Generator | None = None):
        super().__init__(generator)
        self.size = _pair(size, "RandomCrop size")
        if min(self.size) < 1:
            raise ValueError(f"RandomCrop size must be positive, got {size!r}")
        if padding is None:
            pad = (0, 0, 0, 0)
        elif isinstance(padding, numbers.Integral):
            pad = (int(padding),) * 4
        else:
            p = tuple(int(v) for v in padding)
            if len(p) == 2:
                pad = (p[0], p[1], p[0], p[1])
            elif len(p) == 4:
                pad = p
            else:
                raise ValueError(f"RandomCrop padding must be an int, a pair or a 4-tuple, got {padding!r}")
        if min(pad) < 0:
            raise ValueError(f"RandomCrop padding must be non-negative, got {padding!r}")
        if padding_mode not in self._MODES:
            raise ValueError(f"RandomCrop padding_mode must be one of {self._MODES}, got {padding_mode!r}")
        self.padding = pad  # (left, top, right, bottom)
        self.fill = fill
        self.padding_mode = padding_mode
        self.pad_if_needed = bool(pad_if_needed)

    def apply(self, x):
        xp = get_array_module(x)
        left, top, right, bottom = self.padding
        th, tw = self.size
        h, w = x.shape[2] + top + bottom, x.shape[3] + left + right
        if self.pad_if_needed:
            extra_h, extra_w = max(th - h, 0), max(tw - w, 0)
            top, bottom = top + extra_h, bottom + extra_h
            left, right = left + extra_w, right + extra_w
            h, w = h + 2 * extra_h, w + 2 * extra_w
        if th > h or tw > w:
            raise ValueError(
                f"RandomCrop size {self.size} is larger than the padded image ({h}, {w}) from input "
                f"{tuple(x.shape)}; add padding or pad_if_needed=True"
            )
        if top or bottom or left or right:
            widths = ((0, 0), (0, 0), (top, bottom), (left, right))
            if self.padding_mode == "constant":
                x = xp.pad(x, widths, mode="constant", constant_values=self.fill)
            else:
                x = xp.pad(x, widths, mode=self.padding_mode)
        n = x.shape[0]
        rng = self._rng()
        i = rng.integers(0, h - th + 1, size=n)
        j = rng.integers(0, w - tw + 1, size=n)
        rows = xp.asarray(i[:, None] + np.arange(th))  # (N, th)
        cols = xp.asarray(j[:, None] + np.arange(tw))  # (N, tw)
        nidx = xp.arange(n)[:, None, None, None]
        cidx = xp.arange(x.shape[1])[None, :, None, None]
        return x[nidx, cidx, rows[:, None, :, None], cols[:, None, None, :]]


def _bilinear_sample(x, ys, xs, fill):
    """Sample ``x`` (N, C, H, W) at float pixel coordinates ``ys, xs`` (N, H', W'), bilinearly.

    Points outside the image (beyond a 1e-6 tolerance) get ``fill``. Integer
    coordinates reproduce the input exactly.
    """
    xp = get_array_module(x)
    n, c, h, w = x.shape
    dt = x.dtype
    eps = 1e-6
    valid = (ys >= -eps) & (ys <= h - 1 + eps) & (xs >= -eps) & (xs <= w - 1 + eps)
    ys = np.clip(ys, 0, h - 1)
    xs = np.clip(xs, 0, w - 1)
    y0 = np.minimum(np.floor(ys), max(h - 2, 0)).astype(np.int64)
    x0 = np.minimum(np.floor(xs), max(w - 2, 0)).astype(np.int64)
    wy = (ys - y0).astype(dt)
    wx = (xs - x0).astype(dt)
    y1 = np.minimum(y0 + 1, h - 1)
    x1 = np.minimum(x0 + 1, w - 1)
    flat = x.reshape(n, c, h * w)
    hw = ys.shape[1] * ys.shape[2]

    def gather(yy, xx):
        idx = xp.asarray((yy * w + xx).reshape(n, 1, hw))
        return xp.take_along_axis(flat, xp.broadcast_to(idx, (n, c, hw)), axis=2)

    wy, wx = xp.asarray(wy.reshape(n, 1, hw)), xp.asarray(wx.reshape(n, 1, hw))
    top = gather(y0, x0) * (1 - wx) + gather(y0, x1) * wx
    bot = gather(y1, x0) * (1 - wx) + gather(y1, x1) * wx
    out = top * (1 - wy) + bot * wy
    mask = xp.asarray(valid.reshape(n, 1, hw))
    out = xp.where(mask, out, xp.asarray(fill, dtype=dt))
    return out.reshape(n, c, ys.shape[1], ys.shape[2]).astype(dt, copy=False)


class RandomRotation(Augmentation):
    r"""Rotate each image by a random angle about its centre, with bilinear interpolation.

    Positive angles rotate counter-clockwise, as in torchvision. Output pixel
    :math:`(u, v)` (relative to the centre) reads the input at
    :math:`(u\cos\theta - v\sin\theta,\; u\sin\theta + v\cos\theta)` (x right, y down);
    pixels that come from outside the image get ``fill``. Vectorized over the batch.

    Args:
        degrees: ``d`` for angles uniform in ``[-d, d]``, or a pair ``(min, max)``.
        fill: the value for pixels rotated in from outside.
        generator: see :class:`Augmentation`.

    Raises:
        ValueError: for a negative single ``degrees`` or a decreasing pair.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).random((2, 1, 5, 5)).astype(np.float32)
        >>> bool(np.array_equal(RandomRotation(0)(x), x))
        True
    """

    def __init__(self, degrees, fill: float = 0.0, generator: Generator | None = None):
        super().__init__(generator)
        if isinstance(degrees, numbers.Real):
            if degrees < 0:
                raise ValueError(f"RandomRotation degrees must be non-negative when a single number, got {degrees}")
            deg = (-float(degrees), float(degrees))
        else:
            deg = tuple(float(d) for d in degrees)
            if len(deg) != 2 or deg[0] > deg[1]:
                raise ValueError(f"RandomRotation degrees must be a number or an increasing pair, got {degrees!r}")
        self.degrees = deg
        self.fill = float(fill)

    def apply(self, x):
        x = _float(x)
        n, _, h, w = x.shape
        theta = np.deg2rad(self._rng().uniform(self.degrees[0], self.degrees[1], size=n))
        cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
        cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
        v, u = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")
        xs = u * cos - v * sin + cx
        ys = u * sin + v * cos + cy
        # Round away float noise so that multiples of 90 degrees land exactly on pixels.
        xs = np.where(np.abs(xs - np.rint(xs)) < 1e-9, np.rint(xs), xs)
        ys = np.where(np.abs(ys - np.rint(ys)) < 1e-9, np.rint(ys), ys)
        return _bilinear_sample(x, ys, xs, self.fill)


class GaussianNoise(Augmentation):
    r"""Add independent Gaussian noise: :math:`x' = x + \epsilon`, :math:`\epsilon \sim N(0, \mathrm{std}^2)`.

    Keras' ``GaussianNoise(stddev)`` as a data augmentation. Works on any shape (not
    only images); keeps a float dtype (integer input becomes the default float dtype).

    Args:
        std: the noise standard deviation (``>= 0``).
        generator: see :class:`Augmentation`.

    Raises:
        ValueError: for a negative ``std``.

    Example:
        >>> import numpy as np
        >>> GaussianNoise(0.0)(np.ones((2, 3))).tolist()
        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    _needs_4d = False

    def __init__(self, std: float = 0.1, generator: Generator | None = None):
        super().__init__(generator)
        if float(std) < 0:
            raise ValueError(f"GaussianNoise std must be non-negative, got {std}")
        self.std = float(std)

    def apply(self, x):
        x = _float(x)
        xp = get_array_module(x)
        gen_dt = x.dtype if x.dtype in (np.float32, np.float64) else np.float32
        noise = self._rng().standard_normal(x.shape, dtype=gen_dt) * self.std
        return x + xp.asarray(noise.astype(x.dtype, copy=False))


class ElasticDistortion(Augmentation):
    r"""Elastic distortion of handwriting (Simard, Steinkraus & Platt, ICDAR 2003).

    For each image, draw a random displacement field :math:`\Delta x, \Delta y \sim U(-1, 1)`
    per pixel, smooth each with a Gaussian of standard deviation ``sigma`` (pixels) and
    scale it by ``alpha``; then output pixel :math:`(i, j)` reads the input at
    :math:`(i + \alpha\,\Delta y_{ij},\; j + \alpha\,\Delta x_{ij})` with bilinear
    interpolation (outside: ``fill``). Small ``sigma`` gives random-looking jitter, large
    ``sigma`` near-translations; the paper used ``sigma=4``, ``alpha=34`` on 28x28 MNIST.
    All channels of an image share one field; the smoothing runs over the whole batch
    at once (``scipy.ndimage.gaussian_filter``, imported on first use).

    Args:
        alpha: displacement scale in pixels (``>= 0``).
        sigma: the Gaussian smoothing width in pixels (``> 0``).
        fill: the value for pixels that come from outside the image.
        generator: see :class:`Augmentation`.

    Raises:
        ValueError: for a negative ``alpha`` or non-positive ``sigma``.

    Example:
        >>> import numpy as np
        >>> ElasticDistortion(alpha=8.0, sigma=3.0)(np.zeros((2, 1, 8, 8))).shape
        (2, 1, 8, 8)
    """

    def __init__(self, alpha: float = 34.0, sigma: float = 4.0, fill: float = 0.0,
                 generator: Generator | None = None):
        super().__init__(generator)
        if float(alpha) < 0:
            raise ValueError(f"ElasticDistortion alpha must be non-negative, got {alpha}")
        if not float(sigma) > 0:
            raise ValueError(f"ElasticDistortion sigma must be positive, got {sigma}")
        self.alpha = float(alpha)
        self.sigma = float(sigma)
        self.fill = float(fill)

    def apply(self, x):
        from scipy.ndimage import gaussian_filter

        x = _float(x)
        n, _, h, w = x.shape
        rng = self._rng()
        fields = rng.uniform(-1.0, 1.0, size=(2, n, h, w))
        smooth = gaussian_filter(fields, sigma=(0, 0, self.sigma, self.sigma), mode="constant", cval=0.0)
        dy, dx = self.alpha * smooth[0], self.alpha * smooth[1]
        rows, cols = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
        return _bilinear_sample(x, rows[None] + dy, cols[None] + dx, self.fill)


# ---------------------------------------------------------------- pixel values


def _check_range(lo: float, hi: float, who: str) -> tuple[float, float]:
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
        raise ValueError(f"{who} must be a finite increasing pair, got ({lo}, {hi})")
    return lo, hi


def _per_image(values, x):
    """Per-sample values ``(N,)`` as an array of ``x``'s module and dtype, shaped ``(N, 1, 1, 1)``."""
    xp = get_array_module(x)
    return xp.asarray(np.asarray(values).reshape(-1, 1, 1, 1).astype(x.dtype))


class RandomBrightness(Augmentation):
    r"""Add a random brightness offset to each image: :math:`x' = x + \delta`, :math:`\delta \sim U(-d, d)`.

    One :math:`\delta` per image, shared by its channels and pixels (Keras/TensorFlow's additive
    ``random_brightness``; torchvision's ``ColorJitter(brightness=...)`` is multiplicative, see
    :class:`ColorJitter`). Values are not clipped, so it works on standardized data too.

    Args:
        max_delta: the largest offset ``d`` (``>= 0``), in the units of the pixel values.
        generator: see :class:`Augmentation`.

    Raises:
        ValueError: for a negative or non-finite ``max_delta``.

    Example:
        >>> import numpy as np
        >>> out = RandomBrightness(0.1)(np.full((2, 1, 2, 2), 0.5))
        >>> bool(np.all(np.abs(out - 0.5) <= 0.1))
        True
    """

    def __init__(self, max_delta: float, generator: Generator | None = None):
        super().__init__(generator)
        if not (np.isfinite(float(max_delta)) and float(max_delta) >= 0):
            raise ValueError(f"RandomBrightness max_delta must be a finite number >= 0, got {max_delta}")
        self.max_delta = float(max_delta)

    def apply(self, x):
        x = _float(x)
        delta = self._rng().uniform(-self.max_delta, self.max_delta, size=x.shape[0])
        return x + _per_image(delta, x)


class RandomContrast(Augmentation):
    r"""Scale each image's contrast by a random factor around its per-channel mean.

    For each image a factor :math:`f \sim U(\mathrm{lower}, \mathrm{upper})`, and per channel
    :math:`c`: :math:`x'_c = \mu_c + f\,(x_c - \mu_c)` with :math:`\mu_c` the mean of that channel
    over the image's pixels (TensorFlow's ``random_contrast``). The channel means are kept; values
    are not clipped. ``f = 1`` is the identity, ``f = 0`` a flat image of the channel means.

    Args:
        lower: the smallest factor (``>= 0``).
        upper: the largest factor (``>= lower``).
        generator: see :class:`Augmentation`.

    Raises:
        ValueError: for ``lower < 0`` or ``lower > upper``.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).random((2, 3, 4, 4))
        >>> out = RandomContrast(0.5, 1.5)(x)
        >>> bool(np.allclose(out.mean(axis=(2, 3)), x.mean(axis=(2, 3))))
        True
    """

    def __init__(self, lower: float, upper: float, generator: Generator | None = None):
        super().__init__(generator)
        lower, upper = _check_range(lower, upper, "RandomContrast (lower, upper)")
        if lower < 0:
            raise ValueError(f"RandomContrast lower must be >= 0, got {lower}")
        self.lower, self.upper = lower, upper

    def apply(self, x):
        x = _float(x)
        f = _per_image(self._rng().uniform(self.lower, self.upper, size=x.shape[0]), x)
        mean = x.mean(axis=(2, 3), keepdims=True)
        return x * f + mean * (1 - f)


# torchvision's (ITU-R 601-2 luma) weights for rgb_to_grayscale.
_GRAY_WEIGHTS = (0.2989, 0.587, 0.114)


def _jitter_range(value, name: str):
    """torchvision's factor range: ``v`` gives ``[max(0, 1 - v), 1 + v]``; a pair is taken as is;
    ``None`` or a range that is exactly ``(1, 1)`` means "leave this property alone"."""
    if value is None:
        return None
    if isinstance(value, numbers.Real):
        v = float(value)
        if not (np.isfinite(v) and v >= 0):
            raise ValueError(f"ColorJitter {name} must be a non-negative number or a pair (min, max), got {value!r}")
        lo, hi = max(0.0, 1.0 - v), 1.0 + v
    else:
        pair = tuple(value)
        if len(pair) != 2:
            raise ValueError(f"ColorJitter {name} must be a non-negative number or a pair (min, max), got {value!r}")
        lo, hi = _check_range(pair[0], pair[1], f"ColorJitter {name}")
        if lo < 0:
            raise ValueError(f"ColorJitter {name} factors must be >= 0, got {value!r}")
    return None if lo == hi == 1.0 else (lo, hi)


class ColorJitter(Augmentation):
    r"""Randomly change brightness, contrast and saturation (torchvision's ``ColorJitter``, without hue).

    Each argument is ``v`` for a factor drawn uniformly from :math:`[\max(0, 1 - v), 1 + v]`, or a
    pair ``(min, max)`` to draw from; ``0`` leaves the property alone. With factor :math:`f`
    (blend :math:`b(x, y) = \mathrm{clip}(f x + (1 - f) y, 0, \mathrm{top})`, as torchvision):

    - brightness: :math:`b(x, 0)` (``f = 0`` is black);
    - contrast: :math:`b(x, m)` with :math:`m` the mean of the image's grayscale version, one
      number per image (``f = 0`` is a flat gray image);
    - saturation: :math:`b(x, g)` with :math:`g = 0.2989 R + 0.587 G + 0.114 B` the grayscale
      image (``f = 0`` is grayscale); only for 3-channel (RGB) images.

    Each image gets its own factors and its own random order of the three changes (torchvision
    draws one order per call, for its one image). Like torchvision, float images are taken to lie
    in ``[0, 1]`` (``top = 1``) and integer images in ``[0, max of the dtype]`` (``top = 255`` for
    uint8); the result is clipped to that range and is float (integer input becomes the default
    float dtype). Contrast and saturation need 1 or 3 channels.

    Args:
        brightness: how much to jitter brightness (``>= 0``, or a pair of factors).
        contrast: how much to jitter contrast (``>= 0``, or a pair of factors).
        saturation: how much to jitter saturation (``>= 0``, or a pair of factors); must be ``0``
            for 1-channel images.
        generator: see :class:`Augmentation`.

    Raises:
        ValueError: for a negative amount or a bad pair; at call time, for ``saturation`` on images
            that do not have 3 channels, or ``contrast`` on images with other than 1 or 3 channels.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).random((4, 3, 8, 8)).astype(np.float32)
        >>> out = ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4)(x)
        >>> out.shape, out.dtype, bool(out.min() >= 0 and out.max() <= 1)
        ((4, 3, 8, 8), dtype('float32'), True)
        >>> bool(np.array_equal(ColorJitter()(x), x))
        True
    """

    _NAMES = ("brightness", "contrast", "saturation")

    def __init__(self, brightness=0, contrast=0, saturation=0, generator: Generator | None = None):
        super().__init__(generator)
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")

    @staticmethod
    def _gray(x):
        w0, w1, w2 = _GRAY_WEIGHTS
        return (w0 * x[:, 0:1] + w1 * x[:, 1:2] + w2 * x[:, 2:3]).astype(x.dtype, copy=False)

    def apply(self, x):
        c = x.shape[1]
        if self.saturation is not None and c != 3:
            raise ValueError(f"ColorJitter saturation needs RGB images (3 channels), got {c} channel(s) in input "
                             f"{tuple(x.shape)}; use saturation=0 for grayscale images")
        if self.contrast is not None and c not in (1, 3):
            raise ValueError(f"ColorJitter contrast needs images with 1 or 3 channels, got {c} in input "
                             f"{tuple(x.shape)}")
        top = float(np.iinfo(x.dtype).max) if x.dtype.kind in "iu" else 1.0
        x = _float(x)
        xp = get_array_module(x)
        n = x.shape[0]
        rng = self._rng()
        ranges = [getattr(self, k) for k in self._NAMES]
        factors = [None if r is None else rng.uniform(r[0], r[1], size=n) for r in ranges]
        order = rng.permuted(np.tile(np.arange(3), (n, 1)), axis=1)  # each image's order of the changes
        if all(f is None for f in factors):
            return x
        x = x.copy()
        for step in range(3):
            for op, f in enumerate(factors):
                if f is None:
                    continue
                sel = np.flatnonzero(order[:, step] == op)
                if sel.size == 0:
                    continue
                idx = xp.asarray(sel)
                img = x[idx]
                if op == 0:
                    other = xp.zeros((), dtype=x.dtype)
                elif op == 1:
                    gray = self._gray(img) if c == 3 else img
                    other = gray.mean(axis=(1, 2, 3), keepdims=True)
                else:
                    other = self._gray(img)
                fs = _per_image(f[sel], img)
                x[idx] = xp.clip(fs * img + (1 - fs) * other, 0.0, top)
        return x


# ---------------------------------------------------------------- resolution


def _linear_taps(start, length, out: int):
    """Source taps of bilinear resampling with ``align_corners=False`` (PyTorch's rule).

    Output pixel ``d`` of a window ``[start, start + length)`` resized to ``out`` pixels reads the
    source at ``s = max(0, (d + 0.5) * length / out - 0.5)`` (window coordinates): rows ``floor(s)``
    and the next one (kept inside the window) with weights ``1 - t`` and ``t``, ``t = s - floor(s)``.
    ``start`` and ``length`` are per-sample arrays ``(N,)``; returns ``i0, i1, t`` of shape ``(N, out)``.
    """
    start = np.asarray(start, dtype=np.int64)[:, None]
    length = np.asarray(length, dtype=np.int64)[:, None]
    d = np.arange(out, dtype=np.float64)[None, :]
    s = np.maximum((d + 0.5) * (length / out) - 0.5, 0.0)
    i0 = np.minimum(np.floor(s).astype(np.int64), length - 1)
    t = s - i0
    i1 = np.minimum(i0 + 1, length - 1)
    return start + i0, start + i1, t


def _resize_windows(x, top, left, height, width, out_h: int, out_w: int):
    """Bilinearly resize window ``[top, top + height) x [left, left + width)`` of each image of ``x``
    (per-sample arrays ``(N,)``) to ``(out_h, out_w)``, rows first, then columns; no antialiasing."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    dt = x.dtype
    r0, r1, tr = _linear_taps(top, height, out_h)
    c0, c1, tc = _linear_taps(left, width, out_w)

    def take(arr, idx, axis, shape):
        return xp.take_along_axis(arr, xp.broadcast_to(xp.asarray(idx), shape), axis=axis)

    rows_shape = (n, c, out_h, w)
    ri0, ri1 = r0[:, None, :, None], r1[:, None, :, None]
    wr = xp.asarray(tr[:, None, :, None].astype(dt))
    y = take(x, ri0, 2, rows_shape) * (1 - wr) + take(x, ri1, 2, rows_shape) * wr
    cols_shape = (n, c, out_h, out_w)
    ci0, ci1 = c0[:, None, None, :], c1[:, None, None, :]
    wc = xp.asarray(tc[:, None, None, :].astype(dt))
    return (take(y, ci0, 3, cols_shape) * (1 - wc) + take(y, ci1, 3, cols_shape) * wc).astype(dt, copy=False)


def _size_arg(size, who: str):
    """``size`` as torchvision reads it: an int (or a 1-sequence) for the smaller edge, or ``(h, w)``."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        out = (int(size),)
    else:
        try:
            out = tuple(int(s) for s in size)
        except TypeError:
            raise ValueError(f"{who} size must be an int or a pair (height, width), got {size!r}") from None
        if len(out) not in (1, 2):
            raise ValueError(f"{who} size must be an int or a pair (height, width), got {size!r}")
    if min(out) < 1:
        raise ValueError(f"{who} size must be positive, got {size!r}")
    return out


class Resize(Augmentation):
    r"""Resize images with bilinear interpolation (torchvision's ``Resize`` on tensors, no antialias).

    Output pixel :math:`d` reads the input at :math:`s = \max(0, (d + \tfrac12)\,\mathrm{in}/\mathrm{out}
    - \tfrac12)`, interpolating linearly between the two nearest pixels along each axis: the
    ``align_corners=False`` rule of ``torch.nn.functional.interpolate(mode="bilinear")``, with which it
    agrees. Downscaling reads only the nearest pixels (no antialiasing filter), as torch does by
    default. Deterministic; keeps float dtypes (integer input becomes the default float dtype).

    Args:
        size: ``(height, width)`` of the output; or an int, in torchvision's meaning: the smaller edge
            becomes ``size`` and the other keeps the aspect ratio (``int(size * long / short)``).

    Raises:
        ValueError: for a size that is not a positive int or pair.

    Example:
        >>> import numpy as np
        >>> x = np.arange(4.0).reshape(1, 1, 2, 2)
        >>> Resize((4, 4))(x)[0, 0, 0].tolist()
        [0.0, 0.25, 0.75, 1.0]
        >>> Resize(8)(np.zeros((2, 3, 16, 32))).shape
        (2, 3, 8, 16)
    """

    def __init__(self, size):
        super().__init__(None)
        self.size = _size_arg(size, "Resize")

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """The ``(height, width)`` an image of ``height x width`` is resized to."""
        if len(self.size) == 2:
            return self.size
        s = self.size[0]
        if height <= width:
            return s, int(s * width / height)
        return int(s * height / width), s

    def apply(self, x):
        x = _float(x)
        n, _, h, w = x.shape
        oh, ow = self.output_size(h, w)
        if (oh, ow) == (h, w):
            return x.copy()
        zeros = np.zeros(n, dtype=np.int64)
        return _resize_windows(x, zeros, zeros, np.full(n, h), np.full(n, w), oh, ow)


class RandomResizedCrop(Augmentation):
    r"""Crop a random part of each image and resize it to ``size`` (torchvision's ``RandomResizedCrop``).

    The crop's area is a fraction :math:`a \sim U(\mathrm{scale})` of the image's, its aspect
    ratio (width / height) :math:`r` has :math:`\log r \sim U(\log \mathrm{ratio})`: width
    :math:`\mathrm{round}(\sqrt{a H W r})`, height :math:`\mathrm{round}(\sqrt{a H W / r})`, at a
    uniformly random position. A draw that does not fit in the image is redrawn, up to 10 times;
    after that the crop is the central one of the largest area whose aspect ratio is clamped into
    ``ratio`` (the whole image when its own ratio is inside). The crop is then resized bilinearly
    as by :class:`Resize`. This is the Inception-style augmentation (Szegedy et al., 2015, "Going
    deeper with convolutions"). Each image gets its own crop.

    Args:
        size: the output ``(height, width)`` (an int for a square).
        scale: the range of the crop's area as a fraction of the image's, ``0 <= min <= max``, ``max > 0``.
        ratio: the range of the crop's aspect ratio (width / height), ``0 < min <= max``.
        generator: see :class:`Augmentation`.

    Raises:
        ValueError: for a bad size, scale or ratio.

    Example:
        >>> import numpy as np
        >>> RandomResizedCrop(8)(np.zeros((3, 1, 28, 28), dtype=np.float32)).shape
        (3, 1, 8, 8)
    """

    ATTEMPTS = 10

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), generator: Generator | None = None):
        super().__init__(generator)
        s = _size_arg(size, "RandomResizedCrop")
        self.size = s * 2 if len(s) == 1 else s
        for name, v in (("scale", scale), ("ratio", ratio)):
            pair = tuple(v)
            if len(pair) != 2:
                raise ValueError(f"RandomResizedCrop {name} must be a pair (min, max), got {v!r}")
            lo, hi = _check_range(pair[0], pair[1], f"RandomResizedCrop {name}")
            if lo < 0 or hi <= 0 or (name == "ratio" and lo == 0):
                raise ValueError(f"RandomResizedCrop {name} must be positive, got {v!r}")
            setattr(self, name, (lo, hi))

    def crop_params(self, n: int, height: int, width: int):
        """Draw the crops of ``n`` images of ``height x width``: arrays ``(top, left, h, w)``, each ``(N,)``."""
        rng = self._rng()
        k = self.ATTEMPTS
        area = height * width * rng.uniform(self.scale[0], self.scale[1], size=(n, k))
        log_lo, log_hi = np.log(self.ratio[0]), np.log(self.ratio[1])
        aspect = np.exp(rng.uniform(log_lo, log_hi, size=(n, k)))
        cw = np.rint(np.sqrt(area * aspect)).astype(np.int64)
        ch = np.rint(np.sqrt(area / aspect)).astype(np.int64)
        fits = (cw > 0) & (cw <= width) & (ch > 0) & (ch <= height)
        found = fits.any(axis=1)
        first = np.argmax(fits, axis=1)
        rows = np.arange(n)
        h = np.where(found, ch[rows, first], 0)
        w = np.where(found, cw[rows, first], 0)
        # the fallback: the central crop, its aspect ratio clamped into `ratio`
        in_ratio = width / height
        if in_ratio < self.ratio[0]:
            fh, fw = int(round(width / self.ratio[0])), width
        elif in_ratio > self.ratio[1]:
            fh, fw = height, int(round(height * self.ratio[1]))
        else:
            fh, fw = height, width
        h = np.where(found, h, fh)
        w = np.where(found, w, fw)
        top = rng.integers(0, height - h + 1)
        left = rng.integers(0, width - w + 1)
        top = np.where(found, top, (height - fh) // 2)
        left = np.where(found, left, (width - fw) // 2)
        return top, left, h, w

    def apply(self, x):
        x = _float(x)
        n, _, height, width = x.shape
        top, left, h, w = self.crop_params(n, height, width)
        return _resize_windows(x, top, left, h, w, *self.size)
