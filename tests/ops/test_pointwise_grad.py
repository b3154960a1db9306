"""Pointwise ops: float64 gradient checks (first and second order), torch's gradients at the edges
(pow at 0, sqrt at 0, abs at 0, clamp at its bounds, zero gradients of sign and rounding), in-place
methods and operators."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.diagnose import gradcheck, gradgradcheck


def _t(shape, seed, low=None, high=None, positive=False, away=None):
    rng = np.random.default_rng(seed)
    a = rng.uniform(low, high, shape) if low is not None else rng.standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.5
    if away is not None:  # keep |a - k| >= 0.1 from the points in ``away`` (kinks and jumps)
        for k in away:
            a = np.where(np.abs(a - k) < 0.1, k + 0.2, a)
    return gk.tensor(a, requires_grad=True)


CASES = {
    "add_alpha": (lambda a, b: gk.add(a, b, alpha=-1.5), lambda: [_t((3, 4), 0), _t((4,), 1)]),
    "sub_alpha": (lambda a, b: a.sub(b, alpha=2), lambda: [_t((3, 1), 0), _t((1, 4), 1)]),
    "rsqrt": (gk.rsqrt, lambda: [_t((3, 4), 0, positive=True)]),
    "reciprocal": (gk.reciprocal, lambda: [_t((3, 4), 0, positive=True)]),
    "frac": (gk.frac, lambda: [_t((3, 4), 0, away=range(-4, 5))]),
    "log2": (gk.log2, lambda: [_t((5,), 0, positive=True)]),
    "log10": (gk.log10, lambda: [_t((5,), 0, positive=True)]),
    "log1p": (gk.log1p, lambda: [_t((5,), 0, positive=True)]),
    "exp2": (gk.exp2, lambda: [_t((5,), 0)]),
    "expm1": (gk.expm1, lambda: [_t((5,), 0)]),
    "erf": (gk.erf, lambda: [_t((3, 4), 0)]),
    "erfc": (gk.erfc, lambda: [_t((3, 4), 0)]),
    "erfinv": (gk.erfinv, lambda: [_t((3, 4), 0, -0.9, 0.9)]),
    "logit": (gk.logit, lambda: [_t((3, 4), 0, 0.05, 0.95)]),
    "logit_eps": (lambda x: gk.logit(x, eps=0.1), lambda: [_t((3, 4), 0, 0.0, 1.0, away=(0.1, 0.9))]),
    "tan": (gk.tan, lambda: [_t((5,), 0, -1.2, 1.2)]),
    "asin": (gk.asin, lambda: [_t((5,), 0, -0.9, 0.9)]),
    "acos": (gk.acos, lambda: [_t((5,), 0, -0.9, 0.9)]),
    "atan": (gk.atan, lambda: [_t((5,), 0)]),
    "sinh": (gk.sinh, lambda: [_t((5,), 0)]),
    "cosh": (gk.cosh, lambda: [_t((5,), 0)]),
    "asinh": (gk.asinh, lambda: [_t((5,), 0)]),
    "acosh": (gk.acosh, lambda: [_t((5,), 0, 1.2, 4.0)]),
    "atanh": (gk.atanh, lambda: [_t((5,), 0, -0.9, 0.9)]),
    "atan2": (gk.atan2, lambda: [_t((3, 4), 0), _t((4,), 1, positive=True)]),
    "hypot": (gk.hypot, lambda: [_t((3, 4), 0), _t((3, 1), 1, positive=True)]),
    "xlogy": (gk.xlogy, lambda: [_t((3, 4), 0), _t((4,), 1, positive=True)]),
    "remainder": (gk.remainder, lambda: [_t((3, 4), 0, 0.1, 0.9), _t((4,), 1, 1.1, 2.0)]),
    "fmod": (gk.fmod, lambda: [_t((3, 4), 0, -0.9, 0.9), _t((4,), 1, 1.1, 2.0)]),
    "lerp": (gk.lerp, lambda: [_t((3, 4), 0), _t((4,), 1), _t((3, 1), 2)]),
    "lerp_scalar": (lambda a, b: gk.lerp(a, b, 0.7), lambda: [_t((3, 4), 0), _t((4,), 1)]),
    "addcmul": (lambda a, b, c: gk.addcmul(a, b, c, value=0.3), lambda: [_t((3, 4), 0), _t((4,), 1), _t((3, 1), 2)]),
    "addcdiv": (lambda a, b, c: gk.addcdiv(a, b, c, value=2), lambda: [_t((3, 4), 0), _t((4,), 1),
                                                                        _t((3, 1), 2, positive=True)]),
    "fmax": (gk.fmax, lambda: [_t((3, 4), 0), _t((4,), 1)]),
    "fmin": (gk.fmin, lambda: [_t((3, 4), 0), _t((4,), 1)]),
    "clamp_tensor": (lambda a, lo, hi: gk.clamp(a, lo, hi), lambda: [_t((3, 4), 0), _t((4,), 1, -1.0, -0.2),
                                                                      _t((3, 1), 2, 0.2, 1.0)]),
    "nan_to_num": (gk.nan_to_num, lambda: [_t((5,), 0)]),
    "pow_tensor_negative_exponent": (gk.pow, lambda: [_t((3, 4), 0, positive=True), _t((4,), 1, -2.0, -0.5)]),
    "div_int_promotes": (lambda a: a / gk.tensor([1, 2, 3]), lambda: [_t((2, 3), 0)]),
    "floor_times_x": (lambda a: gk.floor(a) * a, lambda: [_t((5,), 0, away=range(-3, 4))]),
    "round_decimals_times_x": (lambda a: gk.round(a, decimals=1) * a,
                               lambda: [gk.tensor(np.round(np.random.default_rng(0).standard_normal(5), 1) + 0.02,
                                                  requires_grad=True)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    fn, make = CASES[name]
    report = gradcheck(fn, make())
    assert report.passed, str(report)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradgradcheck(name):
    fn, make = CASES[name]
    report = gradgradcheck(fn, make())
    assert report.passed, str(report)


# ----------------------------------------------------------------------------- gradients at the edges, vs torch
torch = pytest.importorskip("torch")

EDGES = {
    "pow_0_scalar_exponents": (lambda x: x**0 + x**1 + x**2 + x**0.5 + x**3, [0.0, 0.0, 1.0]),
    "sqrt_at_0": (lambda x: x.sqrt(), [0.0, 4.0]),
    "abs_at_0": (lambda x: x.abs(), [0.0, -1.0, 2.0]),
    "sign_round_floor_ceil_trunc": (lambda x: x.sign() + x.round() + x.floor() + x.ceil() + x.trunc(), [0.0, -1.5, 2.5]),
    "clamp_at_bounds": (lambda x: x.clamp(-1.0, 1.0), [-1.0, 1.0, -2.0, 0.5, 3.0]),
    "clamp_min_greater_than_max": (lambda x: x.clamp(1.0, -1.0), [-2.0, 0.0, 2.0]),
    "relu_at_0": (lambda x: x.relu(), [0.0, -1.0, 1.0]),
    "maximum_ties": (lambda x: x.maximum(x.detach() * 0 + 1.0), [1.0, 0.0, 2.0]),
    "log_at_0": (lambda x: x.log(), [0.0, 1.0]),
    "logit_outside": (lambda x: x.logit(), [0.0, 1.0, 1.5, 0.5]),
    "logit_eps_outside": (lambda x: x.logit(eps=0.2), [0.1, 0.2, 0.95, 0.5]),
    "atan2_origin": (lambda x: gk.atan2(x, x) if isinstance(x, gk.Tensor) else torch.atan2(x, x), [0.0, 1.0]),
    "xlogy_zero_x": (lambda x: gk.xlogy(x, x + 1) if isinstance(x, gk.Tensor) else torch.xlogy(x, x + 1), [0.0, 2.0]),
    "nan_to_num_nonfinite": (lambda x: x.nan_to_num(), [np.nan, np.inf, -np.inf, 1.0]),
    "erfinv_at_1": (lambda x: x.erfinv(), [1.0, -1.0, 0.0]),
    "reciprocal_at_0": (lambda x: x.reciprocal(), [0.0, 2.0]),
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_gradient_at_edges_matches_torch(name):
    fn, values = EDGES[name]
    x = gk.tensor(np.array(values), requires_grad=True)
    t = torch.tensor(np.array(values), requires_grad=True)
    y, ty = fn(x), fn(t)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), equal_nan=True)
    y.backward(gk.ones(y.shape, dtype="float64"))
    ty.backward(torch.ones(ty.shape, dtype=torch.float64))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), equal_nan=True)


@pytest.mark.parametrize("base, exponent", [
    ([0.0, 0.0, 0.0, 2.0, -2.0, -2.0], [0.0, 2.0, -1.0, 0.0, 2.0, 0.5]),
    ([0.0, 1.0], [0.5, 0.0]),
])
def test_pow_tensor_gradients_at_zero_match_torch(base, exponent):
    a, b = gk.tensor(base, dtype="float64", requires_grad=True), gk.tensor(exponent, dtype="float64", requires_grad=True)
    ta = torch.tensor(base, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(exponent, dtype=torch.float64, requires_grad=True)
    (a**b).sum().backward()
    (ta**tb).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), equal_nan=True)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), equal_nan=True)
    for c in (2.0, 0.0):  # a Python number as the base
        tb.grad = None
        b.grad = None
        (c**b).sum().backward()
        (c**tb).sum().backward()
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), equal_nan=True)


def test_clamp_tensor_bounds_gradients_match_torch():
    rng = np.random.default_rng(0)
    x, lo, hi = rng.standard_normal((4, 5)), rng.standard_normal(5) - 0.5, rng.standard_normal((4, 1)) + 0.5
    lo[0] = x[0, 0]  # ties with the bounds
    hi[1, 0] = x[1, 1]
    hi[2, 0] = lo[2] - 0.1  # min > max in one place
    for with_lo, with_hi in [(True, True), (True, False), (False, True)]:
        ins = [gk.tensor(a, requires_grad=True) for a in (x, lo, hi)]
        tins = [torch.tensor(a, requires_grad=True) for a in (x, lo, hi)]
        y = gk.clamp(ins[0], ins[1] if with_lo else None, ins[2] if with_hi else None)
        ty = torch.clamp(tins[0], tins[1] if with_lo else None, tins[2] if with_hi else None)
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy())
        g = rng.standard_normal(y.shape)
        y.backward(gk.tensor(g))
        ty.backward(torch.tensor(g))
        for i, ti in zip(ins, tins):
            if ti.grad is not None:
                np.testing.assert_allclose(i.grad.numpy(), ti.grad.numpy())


def test_rounding_and_sign_pass_zero_gradients_and_stay_in_the_graph():
    x = gk.tensor([0.3, -1.7], requires_grad=True)
    for f in (gk.sign, gk.sgn, gk.floor, gk.ceil, gk.round, gk.trunc, gk.fix,
              lambda v: gk.div(v, 0.5, rounding_mode="floor"), lambda v: v // 0.5):
        x.grad = None
        y = f(x)
        assert y.requires_grad
        y.sum().backward()
        assert x.grad.tolist() == [0.0, 0.0]


# ----------------------------------------------------------------------------- in place and operators
def test_inplace_methods_update_the_tensor_as_torch():
    a = np.array([[0.2, -1.3, 2.5], [0.7, 1.9, -0.4]])
    for name, args in [("abs_", ()), ("neg_", ()), ("exp_", ()), ("sqrt_", ()), ("floor_", ()), ("ceil_", ()),
                       ("round_", ()), ("trunc_", ()), ("sign_", ()), ("sigmoid_", ()), ("tanh_", ()), ("clip_", (0.0, 1.0)),
                       ("pow_", (2,)), ("reciprocal_", ()), ("addcmul_", (a, a)), ("lerp_", (a * 2, 0.25)),
                       ("remainder_", (0.7,)), ("fmod_", (0.7,)), ("nan_to_num_", ()), ("erf_", ()), ("atan2_", (a,)),
                       ("logit_", (0.1,)), ("relu_", ()), ("eq_", (a,)), ("square_", ()), ("frac_", ())]:
        x, t = gk.tensor(a.copy()), torch.tensor(a.copy())
        targs = [torch.tensor(v) if isinstance(v, np.ndarray) else v for v in args]
        gargs = [gk.tensor(v) if isinstance(v, np.ndarray) else v for v in args]
        assert getattr(x, name)(*gargs) is x
        getattr(t, name)(*targs)
        np.testing.assert_allclose(x.numpy(), t.numpy(), equal_nan=True, err_msg=name)


def test_inplace_refusals_are_clear():
    i = gk.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.exp_()
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        gk.tensor([1.0, 2.0]).lerp_(gk.zeros((3, 2)), 0.5)
    w = gk.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        w.exp_()
    with pytest.raises(RuntimeError, match="requires grad"):
        gk.tensor([1.0]).mul(1).addcmul_(w, w)
    with gk.no_grad():
        w.exp_()
    assert w.tolist() == [pytest.approx(np.e)]


def test_inplace_operators():
    x = gk.tensor([7, -7, 12])
    x //= 2
    assert x.tolist() == [3, -4, 6]
    x %= 4
    assert x.tolist() == [3, 0, 2]
    x <<= 2
    x >>= 1
    x &= 6
    x |= 1
    x ^= 3
    assert x.tolist() == [((((3 << 2) >> 1) & 6) | 1) ^ 3, (((0 << 2) >> 1 & 6) | 1) ^ 3, ((((2 << 2) >> 1) & 6) | 1) ^ 3]
    f = gk.tensor([2.0, 3.0])
    f **= 2
    assert f.tolist() == [4.0, 9.0]
    with pytest.raises(RuntimeError, match="can't be cast"):
        x **= 0.5
    h = gk.tensor([1.0, 2.0], requires_grad=True) * 1  # a non-leaf: the out-of-place result, graph kept
    h **= 2
    h.sum().backward()
