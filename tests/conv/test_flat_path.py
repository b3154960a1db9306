"""The stride-1 "padded-width" convolution path (im2col/col2im over the padded width).

Every case here is one where ``_use_flat`` picks that layout (asserted, so a changed heuristic
cannot silently leave the path untested); outputs are checked against a direct loop, gradients
against numerical differences (float64), second-order gradients (through the conv composite), and
float32 results against the general strided path.
"""

import numpy as np
import pytest

import gradkit as gk
from gradkit.diagnose import gradcheck
from gradkit.diagnose.gradcheck import gradgradcheck
from gradkit.nn.functional import conv as F

from .test_functional_conv import naive_conv2d

FLAT_CASES = [
    # C, O, groups, kernel, padding (pt, pb, pl, pr), dilation, H, W
    (3, 4, 1, (3, 3), (1, 1, 1, 1), (1, 1), 6, 5),
    (4, 2, 1, (3, 3), (2, 2, 2, 2), (2, 2), 6, 8),
    (4, 4, 2, (3, 3), (1, 1, 1, 1), (1, 1), 5, 6),
    (3, 2, 1, (2, 3), (0, 0, 1, 1), (1, 1), 5, 6),
    (3, 2, 1, (2, 2), (0, 1, 0, 1), (1, 1), 5, 6),  # padding='same' with an even kernel
]


def _geom(C, O, G, k, pads, d, H, W, N=2):
    g = F._Geom((N, C, H, W), k, (1, 1), d, pads, groups=G)
    return g, F._use_flat(g, O)


def _conv(x, w, b, pads, d, G):
    if pads[0] != pads[1] or pads[2] != pads[3]:
        return F.conv2d(x, w, b, padding="same", dilation=d, groups=G)
    return F.conv2d(x, w, b, padding=(pads[0], pads[2]), dilation=d, groups=G)


@pytest.mark.parametrize("case", FLAT_CASES)
def test_flat_path_is_used_and_matches_naive_loop(case, rng):
    C, O, G, k, pads, d, H, W = case
    assert _geom(*case)[1], "this case should take the padded-width path"
    x = rng.standard_normal((2, C, H, W))
    w = rng.standard_normal((O, C // G) + k)
    b = rng.standard_normal(O)
    y = _conv(gk.tensor(x), gk.tensor(w), gk.tensor(b), pads, d, G)
    ref = naive_conv2d(x, w, b, (1, 1), pads, d, G)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", FLAT_CASES)
def test_flat_path_gradcheck(case, rng):
    C, O, G, k, pads, d, H, W = case
    x = gk.tensor(rng.standard_normal((2, C, H, W)), requires_grad=True)
    w = gk.tensor(rng.standard_normal((O, C // G) + k), requires_grad=True)
    b = gk.tensor(rng.standard_normal(O), requires_grad=True)
    rep = gradcheck(lambda x, w, b: _conv(x, w, b, pads, d, G), [x, w, b])
    assert rep.passed, str(rep)


def test_flat_path_second_order(rng):
    x = gk.tensor(rng.standard_normal((2, 3, 5, 6)), requires_grad=True)
    w = gk.tensor(rng.standard_normal((2, 3, 3, 3)), requires_grad=True)
    assert _geom(3, 2, 1, (3, 3), (1, 1, 1, 1), (1, 1), 5, 6)[1]
    rep = gradgradcheck(lambda x, w: F.conv2d(x, w, padding=1).tanh(), [x, w])
    assert rep.passed, str(rep)


@pytest.mark.parametrize("C", [3, 1])  # the padded-width path, then the general one
def test_bias_in_the_gemm_second_order(rng, C):
    """With a bias the column matrix carries a row of ones (the bias rides in the GEMM); the
    differentiable backward must leave that row out of its column matrix."""
    O = 2 if C == 3 else 5
    x = gk.tensor(rng.standard_normal((2, C, 5, 6)), requires_grad=True)
    w = gk.tensor(rng.standard_normal((O, C, 3, 3)), requires_grad=True)
    b = gk.tensor(rng.standard_normal(O), requires_grad=True)
    assert _geom(C, O, 1, (3, 3), (1, 1, 1, 1), (1, 1), 5, 6)[1] == (C == 3)
    rep = gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=1).tanh(), [x, w, b])
    assert rep.passed, str(rep)


def test_flat_path_float32_equals_strided_path(rng):
    """The benchmark layer (16 -> 32 channels, 3x3, padding 1) in float32: output and all three
    gradients equal those of the general im2col path to float32 rounding."""
    x = rng.standard_normal((4, 16, 14, 14)).astype(np.float32)
    w = (0.1 * rng.standard_normal((32, 16, 3, 3))).astype(np.float32)
    b = rng.standard_normal(32).astype(np.float32)
    gy = rng.standard_normal((4, 32, 14, 14)).astype(np.float32)
    g = F._Geom(x.shape, (3, 3), (1, 1), (1, 1), (1, 1, 1, 1))
    assert F._use_flat(g, 32)
    results = []
    for flat in (True, False):
        g.flat = flat
        y, col = F._conv_forward(x, w, g, b)
        assert col.shape[0] == 16 * 9 + 1 and np.all(col[-1] == 1)  # the bias's row of ones
        gy2 = F._dy_matrix(gy, g)
        gx = F._conv_grad_input(w, gy2, g)
        gw = F._conv_grad_weight(col[:-1], gy2, w.shape, 1)
        db = (gy2 @ col.T)[:, -1]  # what the fused backward reads off the [dW | db] GEMM
        assert y.dtype == gx.dtype == gw.dtype == np.float32
        np.testing.assert_allclose(db, gy2.sum(axis=1), rtol=1e-4, atol=1e-4)
        results.append((np.array(y), np.array(gx), gw, db))
    for a, c in zip(*results):
        np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-4)


def test_flat_path_not_used_where_it_loses():
    # 1-channel input layer: the output compaction costs more than the im2col it saves
    assert not F._use_flat(F._Geom((64, 1, 28, 28), (3, 3), (1, 1), (1, 1), (1, 1, 1, 1)), 16)
    # strided convolutions and mostly-junk widths keep the general path
    assert not F._use_flat(F._Geom((2, 16, 14, 14), (3, 3), (2, 2), (1, 1), (1, 1, 1, 1)), 8)
    assert not F._use_flat(F._Geom((2, 16, 8, 4), (5, 5), (1, 1), (1, 1), (2, 2, 2, 2)), 8)
