"""Type promotion as in PyTorch: result dtypes (and values) of pointwise ops over bool, integer and float
operands, dimensioned tensors, 0-d tensors and Python numbers, checked against torch."""

import itertools

import numpy as np
import pytest

import gradkit as gk
from gradkit.ops._util import promote_types, result_type

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]
SCALARS = [True, 3, 2.5]


def _np_dtype(t):
    return np.dtype(str(t.dtype).replace("torch.", ""))


def _operand(spec, lib):
    """``spec``: a Python number, or (dtype, ndim) for a tensor of small positive values."""
    if not isinstance(spec, tuple):
        return spec
    dtype, ndim = spec
    a = np.array([1, 2, 3] if ndim else 2).astype(dtype)
    return gk.tensor(a) if lib == "gk" else torch.tensor(a)


OPERANDS = [(d, n) for d in DTYPES for n in (1, 0)] + SCALARS
BINARY = {
    "add": (gk.add, torch.add), "sub": (gk.sub, torch.sub), "mul": (gk.mul, torch.mul), "div": (gk.div, torch.div),
    "floor_divide": (gk.floor_divide, torch.floor_divide), "remainder": (gk.remainder, torch.remainder),
    "fmod": (gk.fmod, torch.fmod), "pow": (gk.pow, torch.pow), "maximum": (gk.maximum, torch.maximum),
    "fmin": (gk.fmin, torch.fmin), "atan2": (gk.atan2, torch.atan2), "eq": (gk.eq, torch.eq), "lt": (gk.lt, torch.lt),
    "div_trunc": (lambda a, b: gk.div(a, b, rounding_mode="trunc"), lambda a, b: torch.div(a, b, rounding_mode="trunc")),
    "where": (lambda a, b: gk.where(gk.tensor([True, False, True]), a, b),
              lambda a, b: torch.where(torch.tensor([True, False, True]), a, b)),
    "xlogy": (gk.xlogy, torch.xlogy), "logical_or": (gk.logical_or, torch.logical_or),
}
OPERATORS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "//": lambda a, b: a // b, "%": lambda a, b: a % b, "**": lambda a, b: a**b, "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}


def _pairs():
    for a, b in itertools.product(OPERANDS, repeat=2):
        if isinstance(a, tuple) or isinstance(b, tuple):
            yield a, b


def _check(gk_fn, torch_fn, a, b):
    try:
        ref = torch_fn(_operand(a, "torch"), _operand(b, "torch"))
    except (RuntimeError, TypeError):  # torch refuses the combination (bool - bool, a scalar first...)
        return None
    out = gk_fn(_operand(a, "gk"), _operand(b, "gk"))
    if not isinstance(ref, torch.Tensor):
        return None
    assert out.dtype == _np_dtype(ref), (a, b, out.dtype, ref.dtype)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.numpy().astype(np.float64), ref.numpy().astype(np.float64), rtol=1e-6, equal_nan=True)
    return out


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_function_result_dtype_matches_torch(name):
    gk_fn, torch_fn = BINARY[name]
    checked = 0
    for a, b in _pairs():
        if not isinstance(a, tuple) and name not in ("pow", "remainder"):  # torch functions want a tensor first
            continue
        checked += _check(gk_fn, torch_fn, a, b) is not None
    assert checked > 20


@pytest.mark.parametrize("symbol", list(OPERATORS))
def test_operator_result_dtype_matches_torch(symbol):
    f = OPERATORS[symbol]
    checked = sum(_check(f, f, a, b) is not None for a, b in _pairs())
    assert checked > 40


UNARY = ["exp", "log", "sqrt", "rsqrt", "sigmoid", "sin", "tanh", "reciprocal", "erf", "exp2", "log1p", "atan",
         "abs", "neg", "square", "floor", "ceil", "round", "trunc", "sign", "sgn", "relu", "isnan", "isinf",
         "isfinite", "logical_not", "nan_to_num", "bitwise_not"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", UNARY)
def test_unary_result_dtype_matches_torch(name, dtype):
    a = np.array([1, 2, 0]).astype(dtype)
    try:
        ref = getattr(torch, name)(torch.tensor(a))
    except (RuntimeError, TypeError):  # NotImplementedError is a RuntimeError
        with pytest.raises((RuntimeError, TypeError)):
            getattr(gk, name)(gk.tensor(a))
        return
    out = getattr(gk, name)(gk.tensor(a))
    assert out.dtype == _np_dtype(ref)
    np.testing.assert_allclose(out.numpy().astype(np.float64), ref.numpy().astype(np.float64), rtol=1e-6)


def test_the_examples_of_the_issue():
    assert (gk.tensor(1) + 0.5).dtype == np.float32 and (gk.tensor(1) + 0.5).item() == 1.5
    i = gk.tensor([4, 9])
    for y in (i.exp(), i.sqrt(), i.sigmoid(), i / i, gk.true_divide(i, 2)):
        assert y.dtype == np.float32
    assert (i + i).dtype == np.int64 and (i * 2).dtype == np.int64
    b = gk.tensor([True, False])
    assert (b + b).dtype == np.bool_ and (b + b).tolist() == [True, False] and (b * 1).dtype == np.int64
    f = gk.tensor([1.0], dtype="float32")
    assert (f + 2.5).dtype == np.float32 and (f * 10**6).dtype == np.float32 and (f + np.float64(2)).dtype == np.float32


def test_zero_dim_tensors_do_not_upcast_dimensioned_ones():
    f32 = gk.tensor([1.0, 2.0], requires_grad=True)
    s64 = gk.tensor(3.0, dtype="float64", requires_grad=True)
    y = f32 * s64
    assert y.dtype == np.float32
    y.sum().backward()
    assert f32.grad.dtype == np.float32 and s64.grad.dtype == np.float64 and s64.grad.item() == 3.0
    assert (gk.tensor([1], dtype="int32") + gk.tensor(7)).dtype == np.int32
    assert (gk.tensor([1], dtype="int32") + gk.tensor(7.0, dtype="float64")).dtype == np.float64
    assert (gk.tensor([1], dtype="uint8") + 300).tolist() == [45]  # wraps, as torch


def test_mixed_float_dtypes_promote_and_return_gradients_in_each_dtype():
    a = gk.tensor([1.0, 2.0], dtype="float32", requires_grad=True)
    b = gk.tensor([3.0, 4.0], dtype="float64", requires_grad=True)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and a.grad.tolist() == [3.0, 4.0] and b.grad.dtype == np.float64


def test_promote_types_and_result_type_agree_with_torch():
    for d1, d2 in itertools.product(DTYPES, repeat=2):
        want = torch.promote_types(getattr(torch, d1), getattr(torch, d2))
        assert promote_types(np.dtype(d1), np.dtype(d2)) == np.dtype(str(want).replace("torch.", ""))
    for d, n, s in itertools.product(DTYPES, (0, 1), SCALARS):
        t = torch.tensor(np.ones((2,) * n, dtype=d))
        assert result_type(gk.tensor(np.ones((2,) * n, dtype=d)), s) == _np_dtype(torch.empty(0, dtype=torch.result_type(t, s)))


def test_bool_arithmetic_refused_as_in_torch():
    b = gk.tensor([True, False])
    with pytest.raises(RuntimeError, match="bool"):
        b - b
    with pytest.raises(RuntimeError, match="bool"):
        b - 1
    with pytest.raises(RuntimeError, match="bool"):
        -b
    with pytest.raises(NotImplementedError, match="bool"):
        b.abs()
    with pytest.raises(RuntimeError, match="alpha"):
        gk.add(gk.tensor([1, 2]), 1, alpha=0.5)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        gk.tensor([1, 2]) // 0
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        gk.tensor([1, 2]) % gk.tensor([1, 0])
