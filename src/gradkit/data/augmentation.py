"""Data augmentation for image batches (NCHW), seeded and composable.

Geometric: :class:`RandomHorizontalFlip`, :class:`RandomCrop`, :class:`RandomRotation`,
:class:`ElasticDistortion`; pixel values: :class:`GaussianNoise`, :class:`RandomBrightness`,
:class:`RandomContrast`, :class:`ColorJitter`; resolution: :class:`Resize`,
:class:`RandomResizedCrop`; :class:`Compose` chains them. The pixel-value and resolution ones are
defined in :mod:`gradkit.data.photometric` and re-exported here.

Each augmentation is a callable on a whole batch ``(N, C, H, W)`` (a NumPy array or
a gk.Tensor; a Tensor comes back as a new Tensor that does not require grad). Each
sample gets its own random draw, vectorized over the batch (no Python loop over
pixels or samples). Random numbers come from the ``generator`` given to the
augmentation, or from gradkit's global generator (``gk.manual_seed``), never from
NumPy's global RNG, so a seeded run is reproducible.

Convention: augmentation is for TRAINING batches only. The training loop applies its
``augment`` callable to training batches and never to dev/test data or to
``evaluate``/``predict``; apply it the same way in a hand-written loop.

Examples:
    >>> import numpy as np, gradkit as gk
    >>> aug = Compose([RandomHorizontalFlip(0.5), RandomCrop(8, padding=1), GaussianNoise(0.01)],
    ...               generator=gk.Generator(0))
    >>> aug(np.zeros((4, 1, 8, 8), dtype=np.float32)).shape
    (4, 1, 8, 8)
"""

from __future__ import annotations

import numbers

import numpy as np

from ..backend import get_array_module
from ..random import Generator
from ._augment_base import Augmentation, _float, _unwrap, _wrap  # noqa: F401  (shared; kept importable from here)
from .photometric import ColorJitter, RandomBrightness, RandomContrast, RandomResizedCrop, Resize  # noqa: F401


class Compose(Augmentation):
    """Apply augmentations one after another (torchvision's ``Compose``).

    Args:
        transforms: callables on a batch, applied first to last.
        generator: when given, it replaces the generator of every member that has
            none, so one seed drives the whole pipeline.

    Examples:
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

    Examples:
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

    Examples:
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

    Examples:
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

    Examples:
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

    Examples:
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
