"""Argument errors and rarely taken branches of convolution and pooling."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.nn.functional import _im2col as K
from gradkit.nn.functional import conv as F
from gradkit.nn.functional import pool as P


def test_conv_argument_errors():
    x, w = gk.randn(1, 4, 5, 5), gk.randn(2, 2, 3, 3)
    with pytest.raises(TypeError, match=r"conv2d: stride must be an int or a tuple of 2 ints, got 'a'"):
        F.conv2d(x, w, stride="a", groups=2)
    with pytest.raises(ValueError, match=r"conv2d: weight must have 4 dimensions .* got shape \(2, 2, 3\)"):
        F.conv2d(x, gk.randn(2, 2, 3))
    with pytest.raises(ValueError, match=r"groups must be a positive int, got 0"):
        F.conv2d(x, w, groups=0)
    with pytest.raises(ValueError, match=r"padding must be an int, a tuple, 'same' or 'valid', got 'full'"):
        F.conv2d(x, w, padding="full", groups=2)


def test_conv_accepts_arrays_and_casts_input_and_bias_to_the_weight_dtype(rng):
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3))  # float64 array: the weight's dtype wins
    b = gk.tensor(rng.standard_normal(3).astype(np.float32))
    y = F.conv2d(gk.tensor(x), w, b)
    assert y.dtype == np.float64
    ref = F.conv2d(gk.tensor(x.astype(np.float64)), gk.tensor(w), gk.tensor(b.numpy().astype(np.float64)))
    np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-12)


def test_conv_backward_with_a_gradient_of_another_dtype(rng):
    """A float64 output gradient for a float32 conv: the weight is cast for the input-gradient GEMM."""
    x = gk.tensor(rng.standard_normal((1, 2, 5, 5)).astype(np.float32), requires_grad=True)
    w = gk.tensor(rng.standard_normal((3, 2, 3, 3)).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    gy = rng.standard_normal(y.shape)
    y.backward(gk.tensor(gy, dtype="float64"))
    x64 = gk.tensor(x.numpy().astype(np.float64), requires_grad=True)
    F.conv2d(x64, gk.tensor(w.numpy().astype(np.float64)), padding=1).backward(gk.tensor(gy))
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), x64.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_scratch_cache_starts_over_after_many_shapes():
    first = K._scratch(np, "t", (3,), np.float32)
    assert K._scratch(np, "t", (3,), np.float32) is first
    for n in range(20):
        K._scratch(np, "t", (n + 4,), np.float32)
    assert len(K._scratch_local.arrays) <= 16
    assert K._scratch(np, "t", (3,), np.float32) is not first


def test_pool_argument_errors():
    x = gk.randn(1, 1, 6, 6)
    with pytest.raises(ValueError, match=r"max_pool2d: padding must be non-negative, got \(-1, -1\)"):
        P.max_pool2d(x, 3, padding=-1)
    with pytest.raises(ValueError, match=r"max_pool2d expected a 4-D input \(N, C, H, W\) .* got shape \(6, 6\)"):
        P.max_pool2d(gk.randn(6, 6), 2)
    with pytest.raises(ValueError, match="divisor_override must be a positive number, got 0"):
        P.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(TypeError, match=r"output_size must be an int or a tuple of 2 ints \(or None\), got 'a'"):
        P.adaptive_avg_pool2d(x, "a")
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d expected a 4-D input .* got shape \(6, 6\)"):
        P.adaptive_avg_pool2d(gk.randn(6, 6), 2)
    with pytest.raises(ValueError, match=r"adaptive_avg_pool1d expected a 3-D input .* got shape \(6,\)"):
        P.adaptive_avg_pool1d(gk.randn(6), 2)
    with pytest.raises(ValueError, match=r"global_avg_pool2d expected a 4-D input .* got shape \(1, 6, 6\)"):
        P.global_avg_pool2d(gk.randn(1, 6, 6))


def test_ceil_mode_drops_a_window_that_would_start_in_the_padding():
    # size 5, kernel 2, stride 2, padding 1: ceil gives 4 windows, but the 4th starts at the
    # right padding, so PyTorch keeps 3
    y = P.max_pool2d(gk.randn(1, 1, 5, 5), 2, 2, 1, ceil_mode=True)
    assert y.shape == (1, 1, 3, 3)


def test_unbatched_max_pool_returns_plane_indices():
    x = gk.arange(16.0).reshape(1, 4, 4)
    y, idx = P.max_pool2d(x, 2, return_indices=True)
    assert y.shape == (1, 2, 2) and idx.shape == (1, 2, 2)
    np.testing.assert_array_equal(idx.numpy(), [[[5, 7], [13, 15]]])


def test_adaptive_avg_pool1d_trivial_sizes():
    x = gk.tensor([[[1.0, 2.0, 3.0, 4.0]]])
    np.testing.assert_allclose(P.adaptive_avg_pool1d(x, 1).numpy(), [[[2.5]]])
    assert P.adaptive_avg_pool1d(x, 4) is x


@pytest.mark.parametrize("pool", [lambda t: P.max_pool2d(t, 2), lambda t: P.avg_pool2d(t, 3, 1, 1)])
def test_pooling_third_derivative(pool, rng):
    """The backward maps are each other's adjoints, so the third derivative is the first again:
    differentiating the gather (the derivative of the scatter) gives the scatter back."""
    x = gk.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    y = pool(x)
    gy = gk.tensor(rng.standard_normal(y.shape), requires_grad=True)
    (gx,) = gk.grad(y, [x], gy, create_graph=True)  # scatter(gy)
    v = gk.tensor(rng.standard_normal(x.shape), requires_grad=True)
    (ggy,) = gk.grad(gx, [gy], v, create_graph=True)  # gather(v)
    u = gk.tensor(rng.standard_normal(y.shape))
    (third,) = gk.grad(ggy, [v], u)  # scatter(u)
    (first,) = gk.grad(pool(x), [x], u)
    np.testing.assert_allclose(third.numpy(), first.numpy(), rtol=1e-12)
