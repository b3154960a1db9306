"""Pixel-value and resolution augmentations: brightness, contrast, ColorJitter, Resize, RandomResizedCrop."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.data import (
    ColorJitter, Compose, RandomBrightness, RandomContrast, RandomHorizontalFlip, RandomResizedCrop, Resize,
)


@pytest.fixture
def batch(rng):
    return rng.random((8, 3, 12, 10)).astype(np.float32)


RANDOM = [
    lambda g: RandomBrightness(0.2, generator=g),
    lambda g: RandomContrast(0.5, 1.5, generator=g),
    lambda g: ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, generator=g),
    lambda g: RandomResizedCrop((6, 5), generator=g),
]


@pytest.mark.parametrize("make", RANDOM)
def test_seeded_determinism_dtypes_and_tensors(make, batch):
    a = make(gk.Generator(0))(batch)
    assert a.dtype == np.float32
    assert np.array_equal(a, make(gk.Generator(0))(batch))
    assert not np.array_equal(a, make(gk.Generator(1))(batch))
    assert make(gk.Generator(0))(batch.astype(np.float64)).dtype == np.float64
    t = make(gk.Generator(0))(gk.tensor(batch))
    assert isinstance(t, gk.Tensor) and not t.requires_grad and np.array_equal(t.numpy(), a)
    gk.manual_seed(3)  # the global generator when none is given
    b = make(None)(batch)
    gk.manual_seed(3)
    assert np.array_equal(b, make(None)(batch))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        make(None)(batch[0])


def test_identity_settings(batch):
    assert np.array_equal(RandomBrightness(0.0)(batch), batch)
    assert np.array_equal(RandomContrast(1.0, 1.0)(batch), batch)
    assert np.array_equal(ColorJitter()(batch), batch)
    assert np.array_equal(ColorJitter(brightness=(1, 1), contrast=(1, 1), saturation=(1, 1))(batch), batch)
    assert np.array_equal(Resize((12, 10))(batch), batch)
    whole = RandomResizedCrop((12, 10), scale=(1.0, 1.0), ratio=(10 / 12, 10 / 12))
    assert np.array_equal(whole(batch), batch)


def test_brightness_adds_one_offset_per_image(batch):
    out = RandomBrightness(0.3, generator=gk.Generator(0))(batch)
    delta = out - batch
    per_image = delta.reshape(8, -1)
    np.testing.assert_allclose(per_image, per_image[:, :1] * np.ones_like(per_image), atol=1e-6)
    assert np.all(np.abs(per_image[:, 0]) <= 0.3) and np.unique(per_image[:, 0]).size == 8
    big = RandomBrightness(1.0, generator=gk.Generator(0))(np.zeros((2000, 1, 1, 1)))
    assert -1 <= big.min() < -0.9 and 0.9 < big.max() <= 1 and abs(big.mean()) < 0.05
    assert RandomBrightness(0.1)(np.zeros((2, 1, 3, 3), dtype=np.uint8)).dtype == np.float32
    for bad in (-0.1, float("nan")):
        with pytest.raises(ValueError, match="max_delta"):
            RandomBrightness(bad)


def test_contrast_scales_around_the_channel_means(batch):
    batch = batch.astype(np.float64)
    out = RandomContrast(0.2, 0.6, generator=gk.Generator(0))(batch)
    mean = batch.mean(axis=(2, 3), keepdims=True)
    np.testing.assert_allclose(out.mean(axis=(2, 3), keepdims=True), mean, atol=1e-12)
    f = (out - mean) / (batch - mean)  # one factor per image, shared by its channels
    f = f.reshape(8, -1)
    np.testing.assert_allclose(f, f[:, :1] * np.ones_like(f), rtol=1e-9)
    assert np.all((0.2 <= f[:, 0]) & (f[:, 0] <= 0.6))
    flat = RandomContrast(0.0, 0.0)(batch)
    np.testing.assert_allclose(flat, np.broadcast_to(mean, batch.shape), atol=1e-6)
    with pytest.raises(ValueError, match="lower must be >= 0"):
        RandomContrast(-0.5, 1.0)
    with pytest.raises(ValueError, match="increasing pair"):
        RandomContrast(1.5, 0.5)


def _gray(x):
    return 0.2989 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]


def test_color_jitter_matches_torchvisions_formulas(batch):
    x = batch.astype(np.float64)
    # one property at a time with a fixed factor: the blends of torchvision's functional ops
    out = ColorJitter(brightness=(1.5, 1.5))(x)
    np.testing.assert_allclose(out, np.clip(1.5 * x, 0, 1), atol=1e-12)
    out = ColorJitter(contrast=(0.3, 0.3))(x)
    m = _gray(x).mean(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(out, np.clip(0.3 * x + 0.7 * m, 0, 1), atol=1e-12)
    out = ColorJitter(saturation=(0.0, 0.0))(x)  # grayscale, repeated over the channels
    np.testing.assert_allclose(out, np.broadcast_to(_gray(x), x.shape), atol=1e-12)
    one = ColorJitter(contrast=(2.0, 2.0))(x[:, :1])
    np.testing.assert_allclose(one, np.clip(2 * x[:, :1] - x[:, :1].mean(axis=(1, 2, 3), keepdims=True), 0, 1),
                               atol=1e-12)
    # a single amount v means factors in [max(0, 1 - v), 1 + v]
    assert ColorJitter(brightness=0.4).brightness == (0.6, 1.4)
    assert ColorJitter(contrast=2.0).contrast == (0.0, 3.0)
    assert ColorJitter(saturation=[0.5, 0.9]).saturation == (0.5, 0.9)
    assert "brightness=(0.6, 1.4)" in repr(ColorJitter(brightness=0.4))


def test_color_jitter_value_range_and_per_image_order(batch):
    out = ColorJitter(brightness=0.8, contrast=0.8, saturation=0.8, generator=gk.Generator(0))(batch)
    assert out.min() >= 0 and out.max() <= 1
    u8 = (batch * 255).astype(np.uint8)
    out8 = ColorJitter(brightness=0.8, generator=gk.Generator(0))(u8)
    assert out8.dtype == np.float32 and out8.max() <= 255 and out8.max() > 1
    # brightness then contrast differs from contrast then brightness once clipping is out of the way;
    # with many images both orders occur, so results differ from either fixed order
    x = np.repeat(batch[:1] * 0.5 + 0.25, 64, axis=0).astype(np.float64)
    jit = ColorJitter(brightness=(1.2, 1.2), contrast=(0.5, 0.5))(x)
    m = lambda v: _gray(v).mean(axis=(1, 2, 3), keepdims=True)  # noqa: E731
    b_then_c = 0.5 * (1.2 * x) + 0.5 * m(1.2 * x)
    c_then_b = 1.2 * (0.5 * x + 0.5 * m(x))
    first = np.array([np.allclose(j, bc) for j, bc in zip(jit, b_then_c)])
    second = np.array([np.allclose(j, cb) for j, cb in zip(jit, c_then_b)])
    assert np.all(first | second) and first.any() and second.any()


def test_color_jitter_errors(batch):
    gray = batch[:, :1]
    assert ColorJitter(brightness=0.3, contrast=0.3)(gray).shape == gray.shape
    with pytest.raises(ValueError, match="saturation needs RGB images"):
        ColorJitter(saturation=0.3)(gray)
    with pytest.raises(ValueError, match="contrast needs images with 1 or 3 channels"):
        ColorJitter(contrast=0.3)(np.zeros((2, 4, 5, 5)))
    with pytest.raises(ValueError, match="brightness must be a non-negative number"):
        ColorJitter(brightness=-0.1)
    with pytest.raises(ValueError, match="increasing pair"):
        ColorJitter(contrast=(1.5, 0.5))


def test_resize_values_sizes_and_errors():
    x = np.arange(4.0).reshape(1, 1, 2, 2)
    np.testing.assert_allclose(Resize((4, 4))(x)[0, 0],
                               [[0, .25, .75, 1], [.5, .75, 1.25, 1.5], [1.5, 1.75, 2.25, 2.5], [2, 2.25, 2.75, 3]])
    # a linear ramp stays a ramp (inside the border), downscaling by 2 averages pixel pairs
    ramp = np.tile(np.arange(8.0), (2, 1, 4, 1))
    np.testing.assert_allclose(Resize((4, 4))(ramp)[0, 0, 0], [0.5, 2.5, 4.5, 6.5])
    assert Resize(8)(np.zeros((2, 3, 16, 32))).shape == (2, 3, 8, 16)  # int: the smaller edge
    assert Resize([6])(np.zeros((1, 1, 20, 10))).shape == (1, 1, 12, 6)
    assert Resize((5, 3))(np.zeros((2, 1, 7, 7), dtype=np.uint8)).dtype == np.float32
    assert Resize((5, 3))(np.zeros((2, 1, 7, 7))).dtype == np.float64
    assert repr(Resize((5, 3))) == "Resize(size=(5, 3))"
    for bad in (0, (2, 0), (1, 2, 3)):
        with pytest.raises(ValueError, match="Resize size"):
            Resize(bad)


def test_resize_matches_torch_interpolate(rng):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F
    for (h, w, oh, ow) in [(5, 7, 3, 11), (8, 8, 16, 4), (1, 5, 3, 2), (9, 4, 9, 13), (6, 6, 1, 1), (3, 3, 7, 7)]:
        x = rng.standard_normal((2, 3, h, w))
        ref = F.interpolate(torch.from_numpy(x), size=(oh, ow), mode="bilinear", align_corners=False).numpy()
        np.testing.assert_allclose(Resize((oh, ow))(x), ref, rtol=0, atol=1e-12)


def test_random_resized_crop_is_a_resized_window(rng):
    x = rng.standard_normal((16, 2, 20, 24))
    aug = RandomResizedCrop((7, 9), generator=gk.Generator(0))
    top, left, h, w = RandomResizedCrop((7, 9), generator=gk.Generator(0)).crop_params(16, 20, 24)
    out = aug(x)
    assert out.shape == (16, 2, 7, 9)
    area = h * w / (20 * 24)
    assert np.all((top >= 0) & (left >= 0) & (top + h <= 20) & (left + w <= 24))
    assert np.all((area > 0.05) & (area <= 1.0)) and np.unique(h * w).size > 8
    assert np.all((w / h > 0.6) & (w / h < 1.5))
    for n in range(16):  # each output is its window resized
        win = x[n:n + 1, :, top[n]:top[n] + h[n], left[n]:left[n] + w[n]]
        np.testing.assert_allclose(out[n:n + 1], Resize((7, 9))(win), atol=1e-12)
    assert RandomResizedCrop(5)(x).shape == (16, 2, 5, 5)


def test_random_resized_crop_falls_back_to_the_centre_crop(rng):
    # no draw can fit: the area is always the whole image but the aspect ratio is far from the image's
    x = rng.standard_normal((4, 1, 10, 30))
    aug = RandomResizedCrop((4, 4), scale=(1.0, 1.0), ratio=(1.0, 1.5))
    top, left, h, w = aug.crop_params(4, 10, 30)
    assert np.all(h == 10) and np.all(w == 15) and np.all(top == 0) and np.all(left == 7)
    tall = RandomResizedCrop((4, 4), scale=(1.0, 1.0), ratio=(1.0, 1.5)).crop_params(3, 30, 10)
    assert [a.tolist() for a in tall] == [[10] * 3, [0] * 3, [10] * 3, [10] * 3]
    for bad in ({"scale": (0.5, 0.1)}, {"ratio": (0.0, 1.0)}, {"scale": (0.1, 0.2, 0.3)}):
        with pytest.raises(ValueError, match="RandomResizedCrop"):
            RandomResizedCrop(4, **bad)


def test_compose_with_the_new_augmentations(batch):
    def make():
        return Compose([RandomResizedCrop(8), RandomHorizontalFlip(), ColorJitter(0.2, 0.2, 0.2),
                        RandomBrightness(0.05), Resize((6, 6))], generator=gk.Generator(0))
    a = make()(batch)
    assert a.shape == (8, 3, 6, 6) and np.array_equal(a, make()(batch))
    assert "ColorJitter(brightness=(0.8, 1.2)" in repr(make())
