"""One derivative per op for convolution and pooling.

The fused conv op has one raw-array derivative and a composite (``ConvLinear(x, W) + b``) that
gives every higher derivative; these tests check that the composite is the same function as the
fused forward, that the three linear maps of a convolution are adjoint ops differentiable to any
order (in both column layouts), and that
double backward (x -> grad(f(x), x, create_graph=True)) passes a numerical check for conv and
pooling with strides, padding, dilation and groups.
"""

import numpy as np
import pytest

import gradkit as gk
from gradkit.diagnose import gradcheck
from gradkit.diagnose.gradcheck import gradgradcheck
from gradkit.nn.functional import conv as F
from gradkit.nn.functional import pool as P

COMPOSITE_CASES = [
    # C, O, groups, kernel, stride, padding, dilation, H, W, bias
    (3, 4, 1, (3, 3), 1, 1, 1, 6, 5, True),  # the padded-width layout with the bias in the GEMM
    (3, 4, 1, (3, 3), 1, 1, 1, 6, 5, False),
    (4, 6, 2, (3, 3), 2, 0, 1, 7, 8, True),
    (4, 4, 4, (3, 2), (2, 1), (1, 0), (2, 1), 8, 7, True),
    (2, 3, 1, (1, 1), 1, 0, 1, 4, 4, False),
    (3, 2, 1, (2, 3), (3, 2), (1, 2), (1, 2), 7, 9, True),
    (16, 8, 1, (3, 3), 1, 1, 1, 6, 6, True),
]


def _conv_op(x, w, b, stride, padding, dilation, groups):
    y = F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    op = y._ctx
    assert isinstance(op, F.Conv2dOp)
    return y, op


@pytest.mark.parametrize("case", COMPOSITE_CASES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_conv_composite_agrees_with_the_fused_forward(case, dtype, rng):
    C, O, G, k, s, p, d, H, W, has_b = case
    x = gk.tensor(rng.standard_normal((2, C, H, W)), dtype=dtype, requires_grad=True)
    w = gk.tensor(rng.standard_normal((O, C // G) + k), dtype=dtype, requires_grad=True)
    b = gk.tensor(rng.standard_normal(O), dtype=dtype, requires_grad=True) if has_b else None
    y, op = _conv_op(x, w, b, s, p, d, G)
    ref = y.numpy().copy()
    assert op.composite(*op.inputs).array is y.array  # the forward's output, while it is alive
    del y
    z = op.composite(*op.inputs)  # computed again by the primitive
    assert z.shape == ref.shape and z.dtype == ref.dtype
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(z.numpy(), ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("case", COMPOSITE_CASES)
def test_conv_first_derivative_equals_the_composites(case, rng):
    """The raw-array rule and the derivative of the composite are the same map."""
    C, O, G, k, s, p, d, H, W, has_b = case
    x = gk.tensor(rng.standard_normal((2, C, H, W)), requires_grad=True, dtype="float64")
    w = gk.tensor(rng.standard_normal((O, C // G) + k), requires_grad=True, dtype="float64")
    b = gk.tensor(rng.standard_normal(O), requires_grad=True, dtype="float64") if has_b else None
    inputs = [x, w] + ([b] if has_b else [])
    y, op = _conv_op(x, w, b, s, p, d, G)
    gy = gk.tensor(rng.standard_normal(y.shape), dtype="float64")
    z = op.composite(*inputs)  # before the backward frees the op
    fused = gk.grad(y, inputs, gy)
    composite = gk.grad(z, inputs, gy)
    for a, c in zip(fused, composite):
        np.testing.assert_allclose(a.numpy(), c.numpy(), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("case", COMPOSITE_CASES[2:4] + COMPOSITE_CASES[5:6])
def test_conv_double_backward_gradcheck(case, rng):
    """x -> grad(f(x), x, create_graph=True) against numerical differences, with groups and dilation."""
    C, O, G, k, s, p, d, H, W, has_b = case
    x = gk.tensor(rng.standard_normal((1, C, H, W)), requires_grad=True, dtype="float64")
    w = gk.tensor(0.5 * rng.standard_normal((O, C // G) + k), requires_grad=True, dtype="float64")
    b = gk.tensor(rng.standard_normal(O), dtype="float64") if has_b else None

    def f(x, w):
        return F.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=G).tanh()

    rep = gradgradcheck(f, [x, w])
    assert rep.passed, str(rep)


def test_conv1d_double_backward_gradcheck(rng):
    x = gk.tensor(rng.standard_normal((2, 4, 9)), requires_grad=True, dtype="float64")
    w = gk.tensor(rng.standard_normal((6, 2, 3)), requires_grad=True, dtype="float64")
    b = gk.tensor(rng.standard_normal(6), requires_grad=True, dtype="float64")
    rep = gradgradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2).sin(), [x, w, b])
    assert rep.passed, str(rep)


def test_gradient_penalty_through_conv_matches_the_composite(rng):
    """A gradient penalty (WGAN-GP style) differentiates the input gradient again."""
    x = gk.tensor(rng.standard_normal((2, 3, 6, 6)), requires_grad=True, dtype="float64")
    w = gk.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True, dtype="float64")

    def penalty(conv):
        (gx,) = gk.grad(conv(x, w).tanh().sum(), [x], create_graph=True)
        (gw,) = gk.grad((gx * gx).sum(), [w])
        return gw.numpy()

    fused = penalty(lambda x, w: F.conv2d(x, w, padding=1, stride=2))
    composite = penalty(lambda x, w: _conv_op(x, w, None, 2, 1, 1, 1)[1].composite(x, w))
    np.testing.assert_allclose(fused, composite, rtol=1e-11, atol=1e-11)


# ----------------------------------------------------------------------------- the three linear maps
LINEAR_CASES = [
    # C, O, groups, kernel, stride, pads (t, b, l, r), dilation, flat layout
    (3, 4, 1, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), False),
    (4, 2, 1, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), True),
    (4, 6, 2, (2, 3), (2, 1), (0, 0, 1, 1), (1, 2), False),
]


def _linear_geom(case, N=2, H=6, W=7):
    C, O, G, k, s, pads, d, flat = case
    g = F._Geom((N, C, H, W), k, s, d, pads, groups=G)
    g.flat = flat
    return g


@pytest.mark.parametrize("case", LINEAR_CASES)
def test_conv_linear_maps_are_adjoint(case, rng):
    """<conv(x, W), dy> = <x, grad_input(dy, W)> = <W, grad_weight(x, dy)>."""
    C, O, G, k = case[:4]
    g = _linear_geom(case)
    x = gk.tensor(rng.standard_normal((2, C, 6, 7)), dtype="float64")
    w = gk.tensor(rng.standard_normal((O, C // G) + k), dtype="float64")
    y = F.ConvLinear(g)(x, w)
    dy = gk.tensor(rng.standard_normal(y.shape), dtype="float64")
    gx = F.ConvGradInput(g)(dy, w)
    gw = F.ConvGradWeight(g)(x, dy)
    assert gx.shape == x.shape and gw.shape == w.shape
    lhs = (y * dy).sum().item()
    np.testing.assert_allclose((x * gx).sum().item(), lhs, rtol=1e-11)
    np.testing.assert_allclose((w * gw).sum().item(), lhs, rtol=1e-11)


@pytest.mark.parametrize("case", LINEAR_CASES)
@pytest.mark.parametrize("which", ["linear", "grad_input", "grad_weight"])
def test_conv_linear_maps_first_and_second_order(case, which, rng):
    C, O, G, k = case[:4]
    g = _linear_geom(case, N=1, H=5, W=6)
    x = gk.tensor(rng.standard_normal((1, C, 5, 6)), dtype="float64", requires_grad=True)
    w = gk.tensor(rng.standard_normal((O, C // G) + k), dtype="float64", requires_grad=True)
    dy_shape = F.ConvLinear(g)(x, w).shape
    dy = gk.tensor(rng.standard_normal(dy_shape), dtype="float64", requires_grad=True)
    fn, args = {  # a fresh op per call: a backward frees it
        "linear": (lambda a, b: F.ConvLinear(g)(a, b).sin(), [x, w]),
        "grad_input": (lambda a, b: F.ConvGradInput(g)(a, b).sin(), [dy, w]),
        "grad_weight": (lambda a, b: F.ConvGradWeight(g)(a, b).sin(), [x, dy]),
    }[which]
    assert gradcheck(fn, args).passed
    rep = gradgradcheck(fn, args)
    assert rep.passed, str(rep)


# ----------------------------------------------------------------------------- pooling
POOL_CASES = [
    lambda t: P.max_pool2d(t, 3, 2, 1),
    lambda t: P.max_pool2d(t, (2, 3), (1, 2), (1, 0), dilation=(2, 1)),
    lambda t: P.max_pool2d(t, 2),
    lambda t: P.avg_pool2d(t, 3, 2, 1),
    lambda t: P.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda t: P.avg_pool2d(t, 2, divisor_override=3),
    lambda t: P.max_pool1d(t[:, :, 0], 3, 2, 1),
    lambda t: P.avg_pool1d(t[:, :, 0], 2, 1),
]


@pytest.mark.parametrize("fn", POOL_CASES)
def test_pooling_double_backward_gradcheck(fn, rng):
    x = gk.tensor(rng.standard_normal((2, 2, 6, 7)), requires_grad=True, dtype="float64")
    rep = gradgradcheck(lambda t: fn(t) ** 2, [x])
    assert rep.passed, str(rep)
