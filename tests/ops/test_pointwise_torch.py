"""Pointwise ops against torch: values and gradients, float32 and float64, 0-d, empty and broadcast shapes."""

import math
import zlib

import numpy as np
import pytest

import gradkit as gk

torch = pytest.importorskip("torch")


def _seed(*key):
    return zlib.crc32(repr(key).encode())


def _domain(kind, shape, rng, dtype):
    a = rng.standard_normal(shape) * 2
    if kind == "positive":
        a = np.abs(a) + 0.2
    elif kind == "unit":
        a = rng.uniform(-0.95, 0.95, shape)
    elif kind == "prob":
        a = rng.uniform(0.05, 0.95, shape)
    elif kind == "above1":
        a = np.abs(a) + 1.1
    elif kind == "nonzero":
        a = np.where(np.abs(a) < 0.3, 0.3 + np.abs(a), a) * np.where(rng.standard_normal(shape) < 0, -1, 1)
    elif kind == "offgrid":  # away from the jumps of floor/round/trunc (x.5 and integers)
        a = np.floor(a) + rng.uniform(0.1, 0.4, shape) + rng.integers(0, 2, shape) * 0.5
    return np.asarray(a, dtype=dtype)


# name: (gradkit fn, torch fn, input domains)
UNARY = {
    "neg": (gk.neg, torch.neg, "real"), "abs": (gk.abs, torch.abs, "nonzero"), "exp": (gk.exp, torch.exp, "real"),
    "log": (gk.log, torch.log, "positive"), "sqrt": (gk.sqrt, torch.sqrt, "positive"),
    "rsqrt": (gk.rsqrt, torch.rsqrt, "positive"), "square": (gk.square, torch.square, "real"),
    "reciprocal": (gk.reciprocal, torch.reciprocal, "nonzero"), "floor": (gk.floor, torch.floor, "offgrid"),
    "ceil": (gk.ceil, torch.ceil, "offgrid"), "round": (gk.round, torch.round, "offgrid"),
    "round_dec": (lambda x: gk.round(x, decimals=1), lambda x: torch.round(x, decimals=1), "real"),
    "trunc": (gk.trunc, torch.trunc, "offgrid"), "frac": (gk.frac, torch.frac, "offgrid"),
    "sign": (gk.sign, torch.sign, "real"), "sgn": (gk.sgn, torch.sgn, "real"), "log2": (gk.log2, torch.log2, "positive"),
    "log10": (gk.log10, torch.log10, "positive"), "log1p": (gk.log1p, torch.log1p, "positive"),
    "exp2": (gk.exp2, torch.exp2, "real"), "expm1": (gk.expm1, torch.expm1, "real"), "erf": (gk.erf, torch.erf, "real"),
    "erfc": (gk.erfc, torch.erfc, "real"), "erfinv": (gk.erfinv, torch.erfinv, "unit"),
    "sigmoid": (gk.sigmoid, torch.sigmoid, "real"), "logit": (gk.logit, torch.logit, "prob"),
    "logit_eps": (lambda x: gk.logit(x, eps=0.2), lambda x: torch.logit(x, eps=0.2), "prob"),
    "sin": (gk.sin, torch.sin, "real"), "cos": (gk.cos, torch.cos, "real"), "tan": (gk.tan, torch.tan, "unit"),
    "tanh": (gk.tanh, torch.tanh, "real"), "asin": (gk.asin, torch.asin, "unit"), "acos": (gk.acos, torch.acos, "unit"),
    "atan": (gk.atan, torch.atan, "real"), "sinh": (gk.sinh, torch.sinh, "real"), "cosh": (gk.cosh, torch.cosh, "real"),
    "asinh": (gk.asinh, torch.asinh, "real"), "acosh": (gk.acosh, torch.acosh, "above1"),
    "atanh": (gk.atanh, torch.atanh, "unit"), "relu": (gk.relu, torch.relu, "nonzero"),
    "nan_to_num": (gk.nan_to_num, torch.nan_to_num, "real"),
    "pow_scalar": (lambda x: x**3, lambda x: x**3, "real"), "pow_half": (lambda x: gk.pow(x, 0.5), lambda x: x**0.5, "positive"),
    "clamp": (lambda x: gk.clamp(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), "real"),
    "clamp_min": (lambda x: x.clamp(min=0.1), lambda x: x.clamp(min=0.1), "real"),
    "div_scalar": (lambda x: 3.0 / x, lambda x: 3.0 / x, "nonzero"), "rsub": (lambda x: 2 - x, lambda x: 2 - x, "real"),
    "rpow": (lambda x: 2.5**x, lambda x: 2.5**x, "real"),
}
BINARY = {
    "add": (gk.add, torch.add, "real", "real"), "sub": (gk.sub, torch.sub, "real", "real"),
    "add_alpha": (lambda a, b: gk.add(a, b, alpha=2.5), lambda a, b: torch.add(a, b, alpha=2.5), "real", "real"),
    "sub_alpha": (lambda a, b: a.sub(b, alpha=-3), lambda a, b: a.sub(b, alpha=-3), "real", "real"),
    "mul": (gk.mul, torch.mul, "real", "real"), "div": (gk.div, torch.div, "real", "nonzero"),
    "true_divide": (gk.true_divide, torch.true_divide, "real", "nonzero"),
    "div_floor": (lambda a, b: gk.div(a, b, rounding_mode="floor"), lambda a, b: torch.div(a, b, rounding_mode="floor"),
                  "real", "nonzero"),
    "div_trunc": (lambda a, b: gk.div(a, b, rounding_mode="trunc"), lambda a, b: torch.div(a, b, rounding_mode="trunc"),
                  "real", "nonzero"),
    "pow": (gk.pow, torch.pow, "positive", "real"), "atan2": (gk.atan2, torch.atan2, "real", "nonzero"),
    "hypot": (gk.hypot, torch.hypot, "real", "nonzero"), "xlogy": (gk.xlogy, torch.xlogy, "real", "positive"),
    "maximum": (gk.maximum, torch.maximum, "real", "real"), "minimum": (gk.minimum, torch.minimum, "real", "real"),
    "fmax": (gk.fmax, torch.fmax, "real", "real"), "fmin": (gk.fmin, torch.fmin, "real", "real"),
    "remainder": (gk.remainder, torch.remainder, "real", "nonzero"), "fmod": (gk.fmod, torch.fmod, "real", "nonzero"),
    "mod_op": (lambda a, b: a % b, lambda a, b: a % b, "real", "nonzero"),
    "clamp_tensor_min": (lambda a, b: gk.clamp(a, min=b), lambda a, b: torch.clamp(a, min=b), "real", "real"),
    "clamp_tensor_max": (lambda a, b: gk.clamp(a, max=b), lambda a, b: torch.clamp(a, max=b), "real", "real"),
    "lerp_scalar": (lambda a, b: gk.lerp(a, b, 0.3), lambda a, b: torch.lerp(a, b, 0.3), "real", "real"),
}
TERNARY = {
    "addcmul": (lambda a, b, c: gk.addcmul(a, b, c, value=0.5), lambda a, b, c: torch.addcmul(a, b, c, value=0.5),
                "real", "real", "real"),
    "addcdiv": (lambda a, b, c: gk.addcdiv(a, b, c, value=-2), lambda a, b, c: torch.addcdiv(a, b, c, value=-2),
                "real", "real", "nonzero"),
    "lerp": (gk.lerp, torch.lerp, "real", "real", "real"),
    "clamp_both": (lambda a, b, c: gk.clamp(a, b, c), lambda a, b, c: torch.clamp(a, b, c), "real", "real", "real"),
}
UNARY_SHAPES = [(), (0,), (5,), (3, 4), (2, 0, 3)]
BINARY_SHAPES = [((), ()), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((0, 3), (3,)), ((3,), ()), ((), (2, 2))]
TERNARY_SHAPES = [((), (), ()), ((3, 4), (4,), (3, 1)), ((0, 2), (2,), ()), ((2, 3), (2, 3), (2, 3))]


def _tol(dtype):
    return dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


def check_against_torch(gk_fn, torch_fn, arrays, seed=0):
    """Forward values, result dtype and the gradient of every floating input, against torch."""
    tol = _tol(arrays[0].dtype)
    xs = [gk.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out, ref = gk_fn(*xs), torch_fn(*ts)
    assert out.shape == tuple(ref.shape)
    assert out.dtype == np.dtype(str(ref.dtype).replace("torch.", ""))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), equal_nan=True, **tol)
    if not ref.requires_grad:
        return
    g = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    out.backward(gk.tensor(g))
    ref.backward(torch.tensor(g))
    for x, t in zip(xs, ts):
        if t.requires_grad:
            assert x.grad is not None and x.grad.dtype == x.dtype
            want = t.grad.numpy(force=True) if t.grad is not None else np.zeros(t.shape, dtype=x.dtype)
            np.testing.assert_allclose(x.grad.numpy(), want, equal_nan=True, rtol=tol["rtol"] * 10, atol=tol["atol"] * 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_op_matches_torch(name, shape, dtype):
    gk_fn, torch_fn, dom = UNARY[name]
    rng = np.random.default_rng(_seed(name, shape))
    check_against_torch(gk_fn, torch_fn, [_domain(dom, shape, rng, dtype)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_op_matches_torch(name, shapes, dtype):
    gk_fn, torch_fn, da, db = BINARY[name]
    rng = np.random.default_rng(_seed(name, shapes))
    check_against_torch(gk_fn, torch_fn, [_domain(da, shapes[0], rng, dtype), _domain(db, shapes[1], rng, dtype)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", TERNARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", list(TERNARY))
def test_ternary_op_matches_torch(name, shapes, dtype):
    gk_fn, torch_fn, *doms = TERNARY[name]
    rng = np.random.default_rng(_seed(name, shapes))
    check_against_torch(gk_fn, torch_fn, [_domain(d, s, rng, dtype) for d, s in zip(doms, shapes)])


def test_methods_match_torch_methods():
    rng = np.random.default_rng(1)
    a, b = _domain("prob", (3, 4), rng, np.float64), _domain("nonzero", (4,), rng, np.float64)
    for name in ["exp", "log", "sqrt", "rsqrt", "reciprocal", "floor", "ceil", "trunc", "frac", "sign", "sgn", "log2",
                 "log10", "log1p", "exp2", "expm1", "erf", "erfc", "erfinv", "sigmoid", "logit", "tan", "asin",
                 "arcsin", "acos", "arccos", "atan", "arctan", "sinh", "cosh", "asinh", "arcsinh", "atanh", "arctanh",
                 "isinf", "isposinf", "isneginf", "isnan", "isfinite", "neg", "abs", "square"]:
        check_against_torch(lambda x: getattr(x, name)(), lambda x: getattr(x, name)(), [a])
    for name in ["add", "sub", "mul", "div", "true_divide", "floor_divide", "fmod", "remainder", "atan2", "arctan2",
                 "hypot", "xlogy", "maximum", "minimum", "fmax", "fmin", "eq", "ne", "lt", "le", "gt", "ge", "greater",
                 "greater_equal", "less", "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor"]:
        if name == "floor_divide":  # torch has no derivative for it; gradkit's is zero
            a_, b_ = gk.tensor(a), gk.tensor(b)
            np.testing.assert_array_equal(a_.floor_divide(b_).numpy(), torch.tensor(a).floor_divide(torch.tensor(b)).numpy())
            continue
        check_against_torch(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), [a, b])


def test_equal_allclose_isclose_match_torch():
    a = np.array([1.0, 2.0, np.nan]); b = np.array([1.0, 2.0 + 1e-9, np.nan])
    for args in [(a, b), (a, a), (a[:2], b[:2]), (a[:2], a[:1])]:
        ga, gb, ta, tb = gk.tensor(args[0]), gk.tensor(args[1]), torch.tensor(args[0]), torch.tensor(args[1])
        assert gk.equal(ga, gb) == torch.equal(ta, tb)
        assert ga.equal(gb) == ta.equal(tb)
        if ga.shape == gb.shape:
            for nan in (False, True):
                assert gk.allclose(ga, gb, equal_nan=nan) == torch.allclose(ta, tb, equal_nan=nan)
                assert ga.isclose(gb, rtol=0, atol=1e-12, equal_nan=nan).tolist() == ta.isclose(
                    tb, rtol=0, atol=1e-12, equal_nan=nan).tolist()


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_bitwise_ops_and_operators_match_torch(dtype):
    rng = np.random.default_rng(3)
    if dtype == "bool":
        a, b = rng.integers(0, 2, (3, 4)).astype(bool), rng.integers(0, 2, (4,)).astype(bool)
    else:
        lo = 0 if dtype == "uint8" else -50
        a, b = rng.integers(lo, 50, (3, 4)).astype(dtype), rng.integers(0, 7, (4,)).astype(dtype)
    ga, gb, ta, tb = gk.tensor(a), gk.tensor(b), torch.tensor(a), torch.tensor(b)
    pairs = [(lambda x, y: x & y), (lambda x, y: x | y), (lambda x, y: x ^ y), (lambda x, y: ~x),
             (lambda x, y: x & 3), (lambda x, y: 5 | x), (lambda x, y: True ^ x), gk.bitwise_and, gk.bitwise_or,
             gk.bitwise_xor, (lambda x, y: x.logical_and(y)), (lambda x, y: x.logical_not())]
    torch_pairs = [(lambda x, y: x & y), (lambda x, y: x | y), (lambda x, y: x ^ y), (lambda x, y: ~x),
                   (lambda x, y: x & 3), (lambda x, y: 5 | x), (lambda x, y: True ^ x), torch.bitwise_and,
                   torch.bitwise_or, torch.bitwise_xor, (lambda x, y: x.logical_and(y)), (lambda x, y: x.logical_not())]
    if dtype != "bool":
        pairs += [(lambda x, y: x << y), (lambda x, y: x >> y), (lambda x, y: 1 << y), (lambda x, y: x >> 70),
                  (lambda x, y: x << 65), (lambda x, y: x // 3), (lambda x, y: x % 3), (lambda x, y: -7 // (y + 1)),
                  (lambda x, y: 7 % (y + 1))]
        torch_pairs += [(lambda x, y: x << y), (lambda x, y: x >> y), (lambda x, y: 1 << y), (lambda x, y: x >> 70),
                        (lambda x, y: x << 65), (lambda x, y: x // 3), (lambda x, y: x % 3),
                        (lambda x, y: -7 // (y + 1)), (lambda x, y: 7 % (y + 1))]
    for f, tf in zip(pairs, torch_pairs):
        out, ref = f(ga, gb), tf(ta, tb)
        assert out.dtype == np.dtype(str(ref.dtype).replace("torch.", "")), (out.dtype, ref.dtype)
        np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_bitwise_ops_on_float_tensors_raise_like_torch():
    x = gk.tensor([1.0, 2.0])
    for f in (lambda: x & x, lambda: x | 1, lambda: ~x, lambda: x << 1, lambda: gk.bitwise_xor(x, x)):
        with pytest.raises(NotImplementedError, match="integer and bool"):
            f()
    with pytest.raises(NotImplementedError, match="bool"):
        gk.tensor([True]) << gk.tensor([True])


def test_erf_family_matches_math_at_many_points():
    x = np.concatenate([np.linspace(-7, 7, 2801), np.geomspace(1e-300, 30, 500), -np.geomspace(1e-300, 30, 500)])
    erf = gk.erf(gk.tensor(x)).numpy()
    erfc = gk.erfc(gk.tensor(x)).numpy()
    want_erf = np.array([math.erf(v) for v in x])
    want_erfc = np.array([math.erfc(v) for v in x])
    np.testing.assert_allclose(erf, want_erf, rtol=2e-15, atol=1e-300)
    np.testing.assert_allclose(erfc, want_erfc, rtol=4e-15, atol=1e-300)
    p = np.concatenate([np.linspace(-0.999999, 0.999999, 2001), 1 - np.geomspace(1e-16, 0.5, 200)])
    y = gk.erfinv(gk.tensor(p)).numpy()
    np.testing.assert_allclose([math.erf(v) for v in y], p, rtol=1e-15, atol=3e-16)
    inv = torch.erfinv(torch.tensor(p)).numpy()
    np.testing.assert_allclose(y, inv, rtol=1e-13)
    edges = gk.erfinv(gk.tensor([1.0, -1.0, 1.5, np.nan, 0.0])).numpy()
    np.testing.assert_array_equal(edges, [np.inf, -np.inf, np.nan, np.nan, 0.0])
    np.testing.assert_array_equal(gk.erf(gk.tensor([np.inf, -np.inf, np.nan])).numpy(), [1.0, -1.0, np.nan])
    np.testing.assert_array_equal(gk.erfc(gk.tensor([np.inf, -np.inf])).numpy(), [0.0, 2.0])
