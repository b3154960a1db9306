"""Convolution and pooling ops: exact against naive loops, gradients against numerical differences."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.diagnose import gradcheck
from gradkit.diagnose.gradcheck import gradgradcheck
from gradkit.nn.functional import conv as F


# ----------------------------------------------------------------------------- naive references
def naive_conv2d(x, w, b, stride, pads, dilation, groups):
    """Direct loop convolution: pads = (top, bottom, left, right)."""
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    sh, sw = stride
    dh, dw = dilation
    pt, pb, pl, pr = pads
    xp = np.zeros((N, C, H + pt + pb, W + pl + pr), dtype=x.dtype)
    xp[:, :, pt:pt + H, pl:pl + W] = x
    Ho = (H + pt + pb - dh * (kh - 1) - 1) // sh + 1
    Wo = (W + pl + pr - dw * (kw - 1) - 1) // sw + 1
    Og = O // groups
    y = np.zeros((N, O, Ho, Wo), dtype=np.float64)
    for n in range(N):
        for o in range(O):
            g = o // Og
            for p in range(Ho):
                for q in range(Wo):
                    acc = 0.0 if b is None else b[o]
                    for c in range(Cg):
                        for i in range(kh):
                            for j in range(kw):
                                acc += w[o, c, i, j] * xp[n, g * Cg + c, p * sh + i * dh, q * sw + j * dw]
                    y[n, o, p, q] = acc
    return y


def naive_pool2d(x, k, s, p, reduce, pad_value):
    N, C, H, W = x.shape
    xp = np.full((N, C, H + 2 * p, W + 2 * p), pad_value, dtype=np.float64)
    xp[:, :, p:p + H, p:p + W] = x
    Ho = (H + 2 * p - k) // s + 1
    Wo = (W + 2 * p - k) // s + 1
    y = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            y[:, :, i, j] = reduce(xp[:, :, i * s:i * s + k, j * s:j * s + k].reshape(N, C, -1), axis=-1)
    return y


CONV_CASES = [
    # C, O, groups, kernel, stride, padding, dilation, H, W
    (3, 4, 1, (3, 3), (1, 1), (1, 1), (1, 1), 6, 5),
    (4, 6, 2, (3, 3), (2, 2), (0, 0), (1, 1), 7, 8),
    (4, 4, 4, (3, 2), (2, 1), (1, 0), (2, 1), 8, 7),
    (2, 3, 1, (1, 1), (1, 1), (0, 0), (1, 1), 4, 4),
    (3, 2, 1, (2, 3), (3, 2), (1, 2), (1, 2), 7, 9),
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_naive_loop(case, rng):
    C, O, G, k, s, p, d, H, W = case
    x = rng.standard_normal((2, C, H, W))
    w = rng.standard_normal((O, C // G) + k)
    b = rng.standard_normal(O)
    y = F.conv2d(gk.tensor(x), gk.tensor(w), gk.tensor(b), stride=s, padding=p, dilation=d, groups=G)
    ref = naive_conv2d(x, w, b, s, (p[0], p[0], p[1], p[1]), d, G)
    assert y.shape == ref.shape
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-10, atol=1e-10)


def test_conv2d_float32_stays_float32(rng):
    x = gk.tensor(rng.standard_normal((2, 3, 5, 5)).astype(np.float32))
    w = gk.tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    b = gk.tensor(np.zeros(4, np.float32), requires_grad=True)
    y = F.conv2d(x, w, b, padding=1)
    assert y.dtype == np.float32
    y.sum().backward()
    assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_gradcheck(case, rng):
    C, O, G, k, s, p, d, H, W = case
    x = gk.tensor(rng.standard_normal((2, C, H, W)), requires_grad=True)
    w = gk.tensor(rng.standard_normal((O, C // G) + k), requires_grad=True)
    b = gk.tensor(rng.standard_normal(O), requires_grad=True)
    rep = gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=G), [x, w, b])
    assert rep.passed, str(rep)


def test_conv2d_second_order_gradients(rng):
    """With create_graph=True the backward is the derivative of conv's composite (ConvLinear + bias),
    so it can be differentiated again."""
    x = gk.tensor(rng.standard_normal((2, 2, 5, 5)), requires_grad=True)
    w = gk.tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    rep = gradgradcheck(lambda x, w: F.conv2d(x, w, stride=2, padding=1).tanh(), [x, w])
    assert rep.passed, str(rep)


def test_conv2d_same_padding_keeps_size(rng):
    for k, d in [(3, 1), (4, 1), (5, 2), (2, 3)]:
        x = gk.tensor(rng.standard_normal((1, 2, 7, 6)))
        w = gk.tensor(rng.standard_normal((3, 2, k, k)))
        y = F.conv2d(x, w, padding="same", dilation=d)
        assert y.shape == (1, 3, 7, 6)
        # odd total padding: the extra zero goes bottom/right (PyTorch)
        total = d * (k - 1)
        ref = naive_conv2d(x.numpy(), w.numpy(), None, (1, 1), (total // 2, total - total // 2) * 2, (d, d), 1)
        np.testing.assert_allclose(y.numpy(), ref, rtol=1e-10, atol=1e-10)
    y = F.conv2d(gk.ones(1, 1, 5, 5), gk.ones(1, 1, 3, 3), padding="valid")
    assert y.shape == (1, 1, 3, 3)


def test_conv2d_same_padding_gradcheck(rng):
    x = gk.tensor(rng.standard_normal((1, 2, 5, 4)), requires_grad=True)
    w = gk.tensor(rng.standard_normal((2, 2, 2, 3)), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv2d(x, w, padding="same"), [x, w]).passed


def test_1x1_conv_is_a_per_pixel_linear_map(rng):
    x = rng.standard_normal((3, 5, 4, 6))
    w = rng.standard_normal((7, 5, 1, 1))
    b = rng.standard_normal(7)
    y = F.conv2d(gk.tensor(x), gk.tensor(w), gk.tensor(b)).numpy()
    # every pixel's channel vector goes through the same dense layer
    ref = np.einsum("nchw,oc->nohw", x, w[:, :, 0, 0]) + b[None, :, None, None]
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    lin = gk.linear(gk.tensor(x.transpose(0, 2, 3, 1)), gk.tensor(w[:, :, 0, 0]), gk.tensor(b)).numpy()
    np.testing.assert_allclose(y, lin.transpose(0, 3, 1, 2), rtol=1e-12, atol=1e-12)


def test_conv1d_matches_naive_and_gradcheck(rng):
    x = rng.standard_normal((2, 4, 11))
    w = rng.standard_normal((6, 2, 3))
    b = rng.standard_normal(6)
    y = F.conv1d(gk.tensor(x), gk.tensor(w), gk.tensor(b), stride=2, padding=1, dilation=2, groups=2)
    ref = naive_conv2d(x[:, :, None], w[:, :, None], b, (1, 2), (0, 0, 1, 1), (1, 2), 2)[:, :, 0]
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-10, atol=1e-10)
    xt = gk.tensor(x, requires_grad=True)
    wt = gk.tensor(w, requires_grad=True)
    bt = gk.tensor(b, requires_grad=True)
    rep = gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2), [xt, wt, bt])
    assert rep.passed, str(rep)


def test_unbatched_inputs(rng):
    x = rng.standard_normal((3, 6, 6))
    w = rng.standard_normal((2, 3, 3, 3))
    y = F.conv2d(gk.tensor(x), gk.tensor(w))
    assert y.shape == (2, 4, 4)
    np.testing.assert_allclose(y.numpy(), F.conv2d(gk.tensor(x[None]), gk.tensor(w)).numpy()[0])
    assert F.max_pool2d(gk.tensor(x), 2).shape == (3, 3, 3)
    assert F.conv1d(gk.ones(2, 9), gk.ones(4, 2, 3)).shape == (4, 7)


def test_conv_errors():
    x = gk.zeros(2, 1, 28, 28)
    with pytest.raises(ValueError, match=r"expected 3 input channels, got 1 \(input shape \(2, 1, 28, 28\)"):
        F.conv2d(x, gk.zeros(4, 3, 3, 3))
    with pytest.raises(ValueError, match=r"kernel size \(5, 5\).*larger than the padded input size 4"):
        F.conv2d(gk.zeros(1, 1, 2, 2), gk.zeros(1, 1, 5, 5), padding=1)
    with pytest.raises(ValueError, match=r"stride must be positive, got \(0, 1\)"):
        F.conv2d(x, gk.zeros(1, 1, 3, 3), stride=(0, 1))
    with pytest.raises(ValueError, match="padding must be non-negative"):
        F.conv2d(x, gk.zeros(1, 1, 3, 3), padding=-1)
    with pytest.raises(ValueError, match="not supported for strided"):
        F.conv2d(x, gk.zeros(1, 1, 3, 3), padding="same", stride=2)
    with pytest.raises(ValueError, match="divisible by groups"):
        F.conv2d(gk.zeros(1, 4, 5, 5), gk.zeros(3, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match=r"4-D input \(N, C, H, W\)"):
        F.conv2d(gk.zeros(28, 28), gk.zeros(1, 1, 3, 3))
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        F.conv2d(x, gk.zeros(4, 1, 3, 3), gk.zeros(3))


# ----------------------------------------------------------------------------- pooling
def test_max_pool2d_hand_computed_windows():
    x = gk.tensor([[[[1.0, 5.0, 2.0, 0.0],
                     [3.0, 4.0, 8.0, 7.0],
                     [0.0, -1.0, 6.0, 6.0],
                     [9.0, 2.0, 5.0, 1.0]]]])
    y = F.max_pool2d(x, 2)
    assert y.numpy()[0, 0].tolist() == [[5.0, 8.0], [9.0, 6.0]]
    y3 = F.max_pool2d(x, 3, stride=1)
    assert y3.numpy()[0, 0].tolist() == [[8.0, 8.0], [9.0, 8.0]]
    # padding with -inf: corners see only real values
    yp = F.max_pool2d(x, 3, stride=2, padding=1)
    assert yp.numpy()[0, 0].tolist() == [[5.0, 8.0], [9.0, 8.0]]


def test_max_pool2d_gradient_goes_to_argmax_first_on_ties():
    x = gk.tensor([[[[1.0, 3.0], [3.0, 2.0]]]], requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.numpy()[0, 0].tolist() == [[0.0, 1.0], [0.0, 0.0]]
    # overlapping windows accumulate at a shared maximum
    x = gk.tensor([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]], requires_grad=True)
    F.max_pool2d(x, 2, stride=1).sum().backward()
    assert x.grad.numpy()[0, 0, 1, 1] == 4.0 and x.grad.numpy().sum() == 4.0


def test_max_pool_returns_indices_and_propagates_nan():
    x = gk.tensor([[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 7.0]]]])
    y, idx = F.max_pool2d(x, 2, return_indices=True)
    assert idx.numpy().tolist() == [[[[1, 6]]]]
    assert idx.dtype == np.int64
    xn = gk.tensor([[[[1.0, np.nan, 2.0, 0.0], [3.0, 4.0, 8.0, np.nan]]]], requires_grad=True)
    y, idx = F.max_pool2d(xn, 2, return_indices=True)
    assert np.isnan(y.numpy()).all()
    assert idx.numpy().tolist() == [[[[1, 7]]]]
    _, idx1 = F.max_pool1d(gk.tensor([[[0.0, 2.0, 1.0, 7.0, 3.0]]]), 2, return_indices=True)
    assert idx1.numpy().tolist() == [[[1, 3]]]


@pytest.mark.parametrize("k,s,p,ceil", [(2, 2, 0, False), (3, 2, 1, False), (2, 1, 0, False), (3, 2, 1, True)])
def test_pool2d_against_naive(k, s, p, ceil, rng):
    x = rng.standard_normal((2, 3, 7, 6))
    if not ceil:
        np.testing.assert_allclose(F.max_pool2d(gk.tensor(x), k, s, p).numpy(), naive_pool2d(x, k, s, p, np.max, -np.inf))
        np.testing.assert_allclose(F.avg_pool2d(gk.tensor(x), k, s, p).numpy(), naive_pool2d(x, k, s, p, np.mean, 0.0))
    else:
        # ceil_mode adds a last partial window; PyTorch's output-size rule
        y = F.max_pool2d(gk.tensor(x), k, s, p, ceil_mode=True)
        assert y.shape == (2, 3, 4, 4)
        np.testing.assert_allclose(y.numpy()[..., :3, :3], naive_pool2d(x, k, s, p, np.max, -np.inf)[..., :3, :3])
        assert y.numpy()[0, 0, 3, 3] == x[0, 0, 5:, 5:].max()


def test_avg_pool_divisors():
    x = gk.ones(1, 1, 3, 3)
    # count_include_pad=True (default): the padded zeros count
    y = F.avg_pool2d(x, 3, stride=1, padding=1).numpy()[0, 0]
    assert np.isclose(y[0, 0], 4 / 9) and np.isclose(y[1, 1], 1.0)
    y = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False).numpy()[0, 0]
    np.testing.assert_allclose(y, np.ones((3, 3)))
    y = F.avg_pool2d(x, 2, divisor_override=1).numpy()[0, 0]
    assert y.tolist() == [[4.0]]
    y = F.avg_pool1d(gk.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), 2, ceil_mode=True).numpy()
    np.testing.assert_allclose(y, [[[1.5, 3.5, 5.0]]])


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: F.max_pool2d(x, 2),
        lambda x: F.max_pool2d(x, 3, stride=2, padding=1),
        lambda x: F.max_pool2d(x, (2, 3), stride=1, dilation=(2, 1)),
        lambda x: F.max_pool2d(x, 3, stride=2, ceil_mode=True),
        lambda x: F.avg_pool2d(x, 2),
        lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
        lambda x: F.avg_pool2d(x, 3, stride=1, padding=1),
        lambda x: F.avg_pool2d(x, 3, stride=2, ceil_mode=True),
        lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
        lambda x: F.adaptive_avg_pool2d(x, 1),
        lambda x: F.global_avg_pool2d(x),
    ],
)
def test_pool2d_gradcheck(fn, rng):
    x = gk.tensor(rng.standard_normal((2, 2, 7, 6)), requires_grad=True)
    rep = gradcheck(fn, [x])
    assert rep.passed, str(rep)


@pytest.mark.parametrize("kernel", [2, 3, (2, 3), (1, 2)])
def test_max_pool2d_tiling_windows_gradcheck(kernel, rng):
    """Windows that tile the input exactly (kernel == stride, sizes divisible): the backward
    writes every position without a zero fill first, so each one must still be right."""
    x = gk.tensor(rng.standard_normal((2, 3, 6, 6)), requires_grad=True)
    rep = gradcheck(lambda t: F.max_pool2d(t, kernel), [x])
    assert rep.passed, str(rep)
    F.max_pool2d(x, kernel).sum().backward()
    k = (kernel, kernel) if isinstance(kernel, int) else kernel
    assert np.count_nonzero(x.grad.numpy()) == x.numel() // (k[0] * k[1])  # one winner per window


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: F.max_pool1d(x, 3, stride=2, padding=1),
        lambda x: F.avg_pool1d(x, 2),
        lambda x: F.adaptive_avg_pool1d(x, 4),
    ],
)
def test_pool1d_gradcheck(fn, rng):
    x = gk.tensor(rng.standard_normal((2, 3, 9)), requires_grad=True)
    assert gradcheck(fn, [x]).passed


def test_pooling_second_order():
    x = gk.tensor(np.random.default_rng(3).standard_normal((1, 2, 6, 6)), requires_grad=True)
    for fn in (lambda t: (F.max_pool2d(t, 3, 2, 1) ** 2), lambda t: F.avg_pool2d(t, 3, 2, 1) ** 2):
        rep = gradgradcheck(fn, [x])
        assert rep.passed, str(rep)


def test_adaptive_avg_pool2d_bins():
    x = gk.arange(20.0).reshape(1, 1, 4, 5)
    y = F.adaptive_avg_pool2d(x, (2, 2)).numpy()[0, 0]
    a = np.arange(20.0).reshape(4, 5)
    # bins: rows [0,2) [2,4); cols [0,3) [2,5) (overlapping, PyTorch's floor/ceil rule)
    ref = [[a[0:2, 0:3].mean(), a[0:2, 2:5].mean()], [a[2:4, 0:3].mean(), a[2:4, 2:5].mean()]]
    np.testing.assert_allclose(y, ref)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, 1).numpy().reshape(()), a.mean())
    assert F.adaptive_avg_pool2d(x, (None, 1)).shape == (1, 1, 4, 1)


def test_pool_errors():
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.max_pool2d(gk.zeros(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="stride must be positive"):
        F.max_pool2d(gk.zeros(1, 1, 4, 4), 2, stride=0)
    with pytest.raises(ValueError, match="at most half of the kernel"):
        F.avg_pool2d(gk.zeros(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match="output_size must be positive"):
        F.adaptive_avg_pool2d(gk.zeros(1, 1, 4, 4), 0)


def test_pooling_keeps_float32(rng):
    x = gk.tensor(rng.standard_normal((2, 3, 8, 8)).astype(np.float32), requires_grad=True)
    for fn in (lambda t: F.max_pool2d(t, 2), lambda t: F.avg_pool2d(t, 3, 1, 1), lambda t: F.adaptive_avg_pool2d(t, 3)):
        y = fn(x)
        assert y.dtype == np.float32
        x.grad = None
        y.sum().backward()
        assert x.grad.dtype == np.float32
