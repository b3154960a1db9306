"""Augmentations: shapes, dtypes, seeded determinism, identity at zero strength, behaviour."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.data import (
    Compose, ElasticDistortion, GaussianNoise, RandomCrop, RandomHorizontalFlip, RandomRotation,
)


@pytest.fixture
def batch(rng):
    return rng.random((8, 3, 12, 10)).astype(np.float32)


ALL = [
    lambda g: RandomHorizontalFlip(0.5, generator=g),
    lambda g: RandomCrop((12, 10), padding=2, generator=g),
    lambda g: RandomRotation(15, generator=g),
    lambda g: GaussianNoise(0.1, generator=g),
    lambda g: ElasticDistortion(alpha=6.0, sigma=2.0, generator=g),
]


@pytest.mark.parametrize("make", ALL)
def test_shape_dtype_and_seeded_determinism(make, batch):
    a = make(gk.Generator(0))(batch)
    b = make(gk.Generator(0))(batch)
    c = make(gk.Generator(1))(batch)
    assert a.shape == batch.shape and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, batch)
    x64 = batch.astype(np.float64)
    assert make(gk.Generator(0))(x64).dtype == np.float64
    t = make(gk.Generator(0))(gk.tensor(batch))
    assert isinstance(t, gk.Tensor) and np.array_equal(t.numpy(), a)


def test_global_generator_and_numpy_rng_untouched(batch):
    state = np.random.get_state()[1].copy()
    gk.manual_seed(5)
    a = RandomRotation(20)(batch)
    gk.manual_seed(5)
    b = RandomRotation(20)(batch)
    assert np.array_equal(a, b)
    assert np.array_equal(np.random.get_state()[1], state)


def test_identity_at_zero_strength(batch):
    assert np.array_equal(RandomHorizontalFlip(p=0.0)(batch), batch)
    assert np.array_equal(RandomRotation(0)(batch), batch)
    assert np.array_equal(GaussianNoise(0.0)(batch), batch)
    assert np.array_equal(RandomCrop((12, 10))(batch), batch)
    assert np.array_equal(ElasticDistortion(alpha=0.0, sigma=2.0)(batch), batch)


def test_flip_p1_mirrors_every_image(batch):
    out = RandomHorizontalFlip(p=1.0)(batch)
    assert np.array_equal(out, batch[..., ::-1])
    half = RandomHorizontalFlip(p=0.5, generator=gk.Generator(3))(np.repeat(batch[:1], 200, 0))
    flipped = np.array([np.array_equal(o, batch[0, ..., ::-1]) for o in half])
    assert 60 < flipped.sum() < 140


def test_crop_is_a_shifted_window_of_the_padded_image(batch):
    out = RandomCrop((12, 10), padding=2, generator=gk.Generator(0))(batch)
    padded = np.pad(batch, ((0, 0), (0, 0), (2, 2), (2, 2)))
    for n in range(len(batch)):
        hits = [(i, j) for i in range(5) for j in range(5)
                if np.array_equal(padded[n, :, i:i + 12, j:j + 10], out[n])]
        assert hits, f"sample {n} is not a window of its padded image"
    small = RandomCrop(6, generator=gk.Generator(0))(batch)
    assert small.shape == (8, 3, 6, 6)
    edge = RandomCrop((12, 10), padding=(1, 2), padding_mode="reflect")(batch)
    assert edge.shape == batch.shape
    with pytest.raises(ValueError, match="larger than the padded image"):
        RandomCrop(20)(batch)
    assert RandomCrop(20, pad_if_needed=True)(batch).shape == (8, 3, 20, 20)
    with pytest.raises(ValueError, match="padding_mode"):
        RandomCrop(4, padding_mode="wrap")


def test_rotation_by_90_matches_rot90_and_is_counter_clockwise(rng):
    x = rng.random((2, 1, 5, 5))
    out = RandomRotation((90, 90))(x)
    np.testing.assert_allclose(out, np.rot90(x, 1, axes=(2, 3)), atol=1e-12)
    img = np.zeros((1, 1, 5, 5))
    img[0, 0, 2, 4] = 1.0  # right middle -> top middle for a counter-clockwise turn
    assert RandomRotation((90, 90))(img)[0, 0, 0, 2] == pytest.approx(1.0)


def test_small_rotation_is_exact_on_a_linear_ramp_and_fills_outside():
    # Bilinear interpolation reproduces a linear function exactly, so a ramp f = column
    # rotated by theta reads u*cos(theta) - v*sin(theta) + cx inside the image.
    h = w = 9
    ramp = np.tile(np.arange(w, dtype=np.float64), (h, 1))[None, None]
    theta = np.deg2rad(10.0)
    out = RandomRotation((10, 10), fill=-1.0)(ramp)[0, 0]
    v, u = np.meshgrid(np.arange(h) - 4.0, np.arange(w) - 4.0, indexing="ij")
    xs, ys = u * np.cos(theta) - v * np.sin(theta) + 4, u * np.sin(theta) + v * np.cos(theta) + 4
    inside = (xs >= 0) & (xs <= 8) & (ys >= 0) & (ys <= 8)
    np.testing.assert_allclose(out[inside], xs[inside], atol=1e-12)
    assert np.all(out[~inside] == -1.0) and (~inside).sum() > 0
    with pytest.raises(ValueError, match="increasing pair"):
        RandomRotation((10, -10))


def test_gaussian_noise_statistics(rng):
    x = np.zeros((200, 1, 10, 10), dtype=np.float32)
    out = GaussianNoise(0.5, generator=gk.Generator(0))(x)
    assert out.dtype == np.float32
    assert abs(out.std() - 0.5) < 0.02 and abs(out.mean()) < 0.02
    assert GaussianNoise(0.1)(np.zeros((3, 4))).shape == (3, 4)  # any shape
    with pytest.raises(ValueError, match="non-negative"):
        GaussianNoise(-1.0)


def test_elastic_distortion_keeps_shape_and_changes_pixels():
    x = np.zeros((4, 1, 28, 28), dtype=np.float32)
    x[:, :, 8:20, 12:16] = 1.0  # a vertical stroke
    out = ElasticDistortion(alpha=34.0, sigma=4.0, generator=gk.Generator(0))(x)
    assert out.shape == x.shape and out.dtype == np.float32
    changed = np.abs(out - x) > 1e-3
    assert changed.sum() > 20
    assert 0.0 <= out.min() and out.max() <= 1.0 + 1e-6  # bilinear: a convex combination
    assert not np.array_equal(out[0], out[1])  # each sample gets its own field
    with pytest.raises(ValueError, match="sigma must be positive"):
        ElasticDistortion(sigma=0)


def test_compose_applies_in_order_with_one_generator(batch):
    aug = Compose([RandomHorizontalFlip(1.0), RandomCrop((12, 10), padding=1), GaussianNoise(0.05)],
                  generator=gk.Generator(0))
    again = Compose([RandomHorizontalFlip(1.0), RandomCrop((12, 10), padding=1), GaussianNoise(0.05)],
                    generator=gk.Generator(0))
    a, b = aug(batch), again(batch)
    assert a.shape == batch.shape and np.array_equal(a, b)
    assert np.array_equal(Compose([RandomHorizontalFlip(1.0), RandomHorizontalFlip(1.0)])(batch), batch)
    with pytest.raises(TypeError, match="not callable"):
        Compose([1])


def test_needs_nchw():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        RandomRotation(10)(np.zeros((3, 8, 8)))
