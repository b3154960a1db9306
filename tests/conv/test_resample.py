"""interpolate/Upsample, pixel (un)shuffle, unfold/fold: values and gradients as PyTorch's."""

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.testing import check_layer

from .test_conv_family import _compare

F = gk.nn.functional

INTERP = [
    ((2, 3, 5), dict(scale_factor=2, mode="nearest")),
    ((2, 3, 5), dict(size=7, mode="nearest")),
    ((2, 3, 5), dict(size=8, mode="nearest-exact")),
    ((2, 3, 5), dict(scale_factor=1.7, mode="linear")),
    ((2, 3, 5), dict(size=9, mode="linear", align_corners=True)),
    ((1, 2, 4, 5), dict(scale_factor=2, mode="bilinear")),
    ((1, 2, 4, 5), dict(size=(7, 3), mode="bilinear", align_corners=True)),
    ((1, 2, 4, 5), dict(scale_factor=(1.5, 0.5), mode="nearest")),
    ((1, 2, 3, 4, 2), dict(scale_factor=2, mode="trilinear")),
    ((1, 2, 3, 4, 2), dict(size=(2, 5, 3), mode="nearest")),
]


@pytest.mark.parametrize("shape,kw", INTERP)
def test_interpolate_matches_torch(shape, kw):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    _compare(lambda t: F.interpolate(t, **kw), lambda t: torch.nn.functional.interpolate(t, **kw), [x])


def test_pixel_shuffle_unfold_fold_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 8, 3, 4))
    _compare(lambda t: F.pixel_shuffle(t, 2), lambda t: torch.nn.functional.pixel_shuffle(t, 2), [x])
    y = rng.standard_normal((2, 2, 6, 8))
    _compare(lambda t: F.pixel_unshuffle(t, 2), lambda t: torch.nn.functional.pixel_unshuffle(t, 2), [y])
    for kw in (dict(kernel_size=2), dict(kernel_size=(3, 2), dilation=(1, 2), padding=1, stride=(2, 1))):
        _compare(lambda t: F.unfold(t, **kw), lambda t: torch.nn.functional.unfold(t, **kw), [y])
        cols = torch.nn.functional.unfold(torch.tensor(y), **kw).numpy()
        _compare(lambda t: F.fold(t, (6, 8), **kw), lambda t: torch.nn.functional.fold(t, (6, 8), **kw), [cols])


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(gk.randn(1, 1, 4), size=3, scale_factor=2)
    with pytest.raises(ValueError, match="needs a 4-D input"):
        F.interpolate(gk.randn(1, 1, 4), size=3, mode="bilinear")
    with pytest.raises(ValueError, match="pixel_shuffle"):
        F.pixel_shuffle(gk.randn(1, 3, 2, 2), 2)
    with pytest.raises(ValueError, match="fold: expected"):
        F.fold(gk.randn(1, 5, 4), (3, 3), 2)


CONTRACT = [
    ("upsample_bilinear", lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (2, 2, 3, 3), (2, 2, 6, 6)),
    ("upsample_nearest", lambda: nn.UpsamplingNearest2d(size=(4, 5)), (2, 2, 3, 3), (2, 2, 4, 5)),
    ("upsample_bilinear_ac", lambda: nn.UpsamplingBilinear2d(scale_factor=2), (1, 2, 3, 3), (1, 2, 6, 6)),
    ("pixelshuffle", lambda: nn.PixelShuffle(2), (2, 8, 2, 3), (2, 2, 4, 6)),
    ("pixelunshuffle", lambda: nn.PixelUnshuffle(2), (2, 1, 4, 6), (2, 4, 2, 3)),
    ("unfold", lambda: nn.Unfold(2, padding=1), (2, 2, 3, 3), (2, 8, 16)),
    ("fold", lambda: nn.Fold((3, 3), 2), (2, 8, 4), (2, 2, 3, 3)),
]


@pytest.mark.parametrize("name,make,shape,out_shape", CONTRACT, ids=[c[0] for c in CONTRACT])
def test_layer_contract(name, make, shape, out_shape):
    assert check_layer(make, shape, expected_output_shape=out_shape)["output_shape"] == out_shape
