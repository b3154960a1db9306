"""Photometric and resolution augmentations for image batches (NCHW), seeded.

Pixel values: :class:`RandomBrightness`, :class:`RandomContrast`, :class:`ColorJitter`; resolution:
:class:`Resize`, :class:`RandomResizedCrop`. They follow the conventions of
:mod:`gradkit.data.augmentation` (a batch ``(N, C, H, W)`` as a NumPy array or a gk.Tensor, one
random draw per sample, random numbers from the ``generator`` or gradkit's global one, training
batches only), which re-exports them, as does ``gradkit.data``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..backend import get_array_module
from ..random import Generator
from ._augment_base import Augmentation, _float


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

    Examples:
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

    Examples:
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

    Examples:
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

    Examples:
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

    Examples:
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
