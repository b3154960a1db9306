"""Every differentiable op passes a float64 gradient check, first and second order."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk
from gradkit.diagnose import gradcheck, gradgradcheck


def _t(shape, seed, positive=False):
    a = np.random.default_rng(seed).standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.5
    return gk.tensor(a, requires_grad=True)


def _away_from_kinks(shape, seed):
    """Values with |x| >= 0.1 so relu/abs/clamp are differentiable at every point."""
    a = np.random.default_rng(seed).standard_normal(shape)
    a = np.where(np.abs(a) < 0.1, 0.3 * np.sign(a) + (a == 0) * 0.3, a)
    return gk.tensor(a, requires_grad=True)


def _distinct(shape, seed):
    """Values without ties (max/min are differentiable)."""
    n = int(np.prod(shape))
    a = np.random.default_rng(seed).permutation(n).reshape(shape) * 0.37 - 1.0
    return gk.tensor(a.astype(np.float64), requires_grad=True)


CASES = {
    "add_broadcast": (lambda a, b: a + b, lambda: [_t((3, 4), 0), _t((4,), 1)]),
    "add_scalar": (lambda a: 2.5 + a, lambda: [_t((3,), 0)]),
    "sub_broadcast": (lambda a, b: a - b, lambda: [_t((3, 1), 0), _t((1, 4), 1)]),
    "rsub": (lambda a: 1.0 - a, lambda: [_t((3,), 0)]),
    "mul_broadcast": (lambda a, b: a * b, lambda: [_t((2, 3, 4), 0), _t((3, 1), 1)]),
    "div_broadcast": (lambda a, b: a / b, lambda: [_t((3, 4), 0), _t((4,), 1, positive=True)]),
    "rdiv": (lambda a: 1.0 / a, lambda: [_t((3,), 0, positive=True)]),
    "neg": (lambda a: -a, lambda: [_t((3, 2), 0)]),
    "pow_scalar": (lambda a: a**3, lambda: [_t((3, 4), 0)]),
    "pow_fractional": (lambda a: a**1.5, lambda: [_t((3, 4), 0, positive=True)]),
    "pow_tensor": (lambda a, b: a**b, lambda: [_t((3, 4), 0, positive=True), _t((4,), 1)]),
    "rpow": (lambda a: 2.0**a, lambda: [_t((3,), 0)]),
    "square": (lambda a: gk.square(a), lambda: [_t((3,), 0)]),
    "exp": (lambda a: a.exp(), lambda: [_t((3, 4), 0)]),
    "log": (lambda a: a.log(), lambda: [_t((3, 4), 0, positive=True)]),
    "sqrt": (lambda a: a.sqrt(), lambda: [_t((3, 4), 0, positive=True)]),
    "abs": (lambda a: abs(a), lambda: [_away_from_kinks((3, 4), 0)]),
    "sin_cos": (lambda a: a.sin() * a.cos(), lambda: [_t((5,), 0)]),
    "tanh": (lambda a: a.tanh(), lambda: [_t((3, 4), 0)]),
    "sigmoid": (lambda a: a.sigmoid(), lambda: [_t((3, 4), 0)]),
    "relu": (lambda a: a.relu(), lambda: [_away_from_kinks((3, 4), 0)]),
    "clamp": (lambda a: a.clamp(-0.5, 0.5), lambda: [_distinct((3, 4), 0)]),
    "clamp_min": (lambda a: gk.clamp(a, min=0.05), lambda: [_distinct((3, 4), 0)]),
    "maximum": (lambda a, b: gk.maximum(a, b), lambda: [_t((3, 4), 0), _t((4,), 1)]),
    "minimum": (lambda a, b: gk.minimum(a, b), lambda: [_t((3, 4), 0), _t((3, 1), 1)]),
    "where": (lambda a, b: gk.where(a.detach() > 0, a, b), lambda: [_t((3, 4), 0), _t((4,), 1)]),
    "sum_all": (lambda a: a.sum(), lambda: [_t((3, 4), 0)]),
    "sum_dim": (lambda a: a.sum(1), lambda: [_t((3, 4), 0)]),
    "sum_axis_keepdims": (lambda a: a.sum(axis=(0, 2), keepdims=True), lambda: [_t((2, 3, 4), 0)]),
    "mean": (lambda a: a.mean((0, 2), keepdim=True), lambda: [_t((2, 3, 4), 0)]),
    "var": (lambda a: a.var(1), lambda: [_t((3, 4), 0)]),
    "var_population": (lambda a: a.var(0, unbiased=False), lambda: [_t((3, 4), 0)]),
    "std": (lambda a: a.std(), lambda: [_t((3, 4), 0)]),
    "max_dim": (lambda a: a.max(1).values, lambda: [_distinct((3, 4), 0)]),
    "min_all": (lambda a: a.min(), lambda: [_distinct((3, 4), 0)]),
    "amax_tuple": (lambda a: a.amax((0, 2)), lambda: [_distinct((2, 3, 4), 0)]),
    "logsumexp": (lambda a: a.logsumexp(-1), lambda: [_t((3, 4), 0)]),
    "logsumexp_all": (lambda a: gk.logsumexp(a), lambda: [_t((3, 4), 0)]),
    "matmul": (lambda a, b: a @ b, lambda: [_t((3, 4), 0), _t((4, 5), 1)]),
    "matmul_batched_broadcast": (lambda a, b: a @ b, lambda: [_t((2, 3, 4), 0), _t((4, 5), 1)]),
    "matmul_batched_both": (lambda a, b: a @ b, lambda: [_t((2, 1, 3, 4), 0), _t((3, 4, 2), 1)]),
    "matvec": (lambda a, b: a @ b, lambda: [_t((3, 4), 0), _t((4,), 1)]),
    "vecmat": (lambda a, b: a @ b, lambda: [_t((4,), 0), _t((4, 3), 1)]),
    "dot": (lambda a, b: a @ b, lambda: [_t((4,), 0), _t((4,), 1)]),
    "linear": (lambda x, w, b: gk.linear(x, w, b), lambda: [_t((5, 4), 0), _t((3, 4), 1), _t((3,), 2)]),
    "linear_3d_nobias": (lambda x, w: gk.linear(x, w), lambda: [_t((2, 5, 4), 0), _t((3, 4), 1)]),
    "reshape": (lambda a: a.reshape(4, 3) * gk.tensor(np.arange(12.0).reshape(4, 3)), lambda: [_t((3, 4), 0)]),
    "view_infer": (lambda a: a.view(-1, 2), lambda: [_t((3, 4), 0)]),
    "permute": (lambda a: a.permute(2, 0, 1), lambda: [_t((2, 3, 4), 0)]),
    "transpose": (lambda a: a.transpose(0, 2), lambda: [_t((2, 3, 4), 0)]),
    "T": (lambda a: a.T, lambda: [_t((2, 3), 0)]),
    "flatten": (lambda a: a.flatten(1), lambda: [_t((2, 3, 4), 0)]),
    "squeeze_unsqueeze": (lambda a: a.squeeze(1).unsqueeze(0), lambda: [_t((3, 1, 4), 0)]),
    "expand": (lambda a: a.expand(3, -1), lambda: [_t((1, 4), 0)]),
    "broadcast_to": (lambda a: gk.broadcast_to(a, (2, 3, 4)), lambda: [_t((3, 1), 0)]),
    "getitem_slices": (lambda a: a[1:, ::2], lambda: [_t((3, 4), 0)]),
    "getitem_int_repeated": (lambda a: a[[0, 0, 2, 1, 0]], lambda: [_t((3, 4), 0)]),
    "getitem_int_pairs": (lambda a: a[np.array([0, 2, 2]), np.array([1, 1, 3])], lambda: [_t((3, 4), 0)]),
    "getitem_bool": (lambda a: a[a.detach() > 0], lambda: [_t((3, 4), 0)]),
    "getitem_none_ellipsis": (lambda a: a[..., None, 1], lambda: [_t((2, 3), 0)]),
    "cat": (lambda a, b: gk.cat([a, b], 1), lambda: [_t((3, 2), 0), _t((3, 4), 1)]),
    "stack": (lambda a, b: gk.stack([a, b], dim=1), lambda: [_t((3, 4), 0), _t((3, 4), 1)]),
    "split": (lambda a: gk.split(a, [1, 3], 1)[1] * 2, lambda: [_t((3, 4), 0)]),
    "chunk": (lambda a: gk.chunk(a, 2, 0)[0], lambda: [_t((4, 2), 0)]),
    "pad_torch_style": (lambda a: gk.pad(a, (1, 2, 0, 1), value=0.5), lambda: [_t((3, 4), 0)]),
    "pad_numpy_style": (lambda a: gk.pad(a, ((1, 0), (0, 2))), lambda: [_t((3, 4), 0)]),
    "clone": (lambda a: a.clone() * a, lambda: [_t((3,), 0)]),
    "composite_mlp": (
        lambda x, w1, w2: ((x @ w1).tanh() @ w2).sigmoid().sum(),
        lambda: [_t((4, 3), 0), _t((3, 5), 1), _t((5, 2), 2)],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    fn, make = CASES[name]
    report = gradcheck(fn, make())
    assert report.passed, str(report)


SECOND_ORDER_SKIP: set = set()


@pytest.mark.parametrize("name", sorted(set(CASES) - SECOND_ORDER_SKIP))
def test_gradgradcheck(name):
    fn, make = CASES[name]
    report = gradgradcheck(fn, make())
    assert report.passed, str(report)


_shape = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)


@settings(max_examples=40, deadline=None)
@given(shape=_shape, drop=st.integers(0, 3), ones=st.lists(st.booleans(), min_size=3, max_size=3),
       op=st.sampled_from(["add", "sub", "mul", "div", "maximum"]), seed=st.integers(0, 1000))
def test_broadcasting_binary_ops_random_shapes(shape, drop, ones, op, seed):
    """Any pair of broadcast-compatible shapes: gradients sum back to each input's shape."""
    other = tuple(1 if o else s for s, o in zip(shape, ones))[min(drop, len(shape)):]
    a = _t(shape, seed)
    b = _t(other, seed + 1, positive=(op == "div"))
    fn = {"add": gk.add, "sub": gk.sub, "mul": gk.mul, "div": gk.div, "maximum": gk.maximum}[op]
    report = gradcheck(fn, [a, b])
    assert report.passed, str(report)
    out = fn(a, b)
    out.sum().backward()
    assert a.grad.shape == a.shape and b.grad.shape == b.shape


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), seed=st.integers(0, 1000),
       keep=st.booleans())
def test_reductions_random_shapes(shape, seed, keep):
    x = _t(shape, seed)
    dim = seed % len(shape)
    for fn in (lambda t: t.sum(dim, keepdim=keep), lambda t: t.mean(dim, keepdim=keep),
               lambda t: t.logsumexp(dim, keepdim=keep)):
        report = gradcheck(fn, [x])
        assert report.passed, str(report)


class _DivWrongInB(gk.autograd.Function):
    """a / b with the gradient in b scaled by ``factor`` (1.0 is the true gradient)."""

    factor = 1.0

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, gy):
        a, b = ctx.saved_tensors
        gb = (-gy * a / (b * b)).sum(dim=(0, 1, 2), keepdim=True) * _DivWrongInB.factor
        return gy / b, gb


def test_gradcheck_tolerates_rounding_noise_but_not_a_wrong_gradient():
    # found by hypothesis: the projected gradient in b is a sum whose terms cancel to ~6e-3, so
    # the difference quotient's rounding (~2e-9) is a relative error above 1e-7: it must pass
    a, b = _t((1, 2, 2), 406), _t((1, 1, 1), 407, positive=True)
    assert gradcheck(gk.div, [a, b]).passed
    assert gradcheck(_DivWrongInB.apply, [a, b]).passed
    _DivWrongInB.factor = 1.001  # 0.1 % off: far above the rounding noise, must fail
    try:
        report = gradcheck(_DivWrongInB.apply, [a, b])
    finally:
        _DivWrongInB.factor = 1.0
    assert report.inputs[0].passed and not report.inputs[1].passed
