"""Corners of gradkit.ops the op-by-op gradient checks do not reach: argument forms, dtype
rules, error messages, comparisons and logic, and the rarer branches of backward rules."""

import numpy as np
import pytest

import gradkit as gk
from gradkit import ops
from gradkit.diagnose import gradcheck, gradgradcheck


def _t(shape, seed=0, positive=False):
    a = np.random.default_rng(seed).standard_normal(shape)
    if positive:
        a = np.abs(a) + 0.5
    return gk.tensor(a, requires_grad=True)


# ----------------------------------------------------------------------------- operand coercion
def test_bool_and_integer_scalars_keep_a_non_float_tensor_dtype():
    i32 = gk.tensor(np.array([1, 2], dtype=np.int32))
    y = i32 + True
    assert y.dtype == np.int32 and y.tolist() == [2, 3]
    b = gk.tensor([True, False])
    assert gk.logical_and(b, True).dtype == np.bool_
    assert gk.logical_and(b, True).tolist() == [True, False]
    # a NumPy bool scalar (not a numbers.Number) goes through the array path
    assert gk.logical_or(b, np.bool_(False)).tolist() == [True, False]


def test_integer_tensor_with_float_tensor_becomes_that_float():
    i = gk.tensor([1, 2, 3])
    f = gk.tensor(np.array([0.5, 0.25, 2.0], dtype=np.float32))
    for y in (i + f, i * f, i - f):
        assert y.dtype == np.float32
    np.testing.assert_array_equal((i - f).numpy(), np.array([0.5, 1.75, 1.0], dtype=np.float32))


def test_a_float_scalar_with_an_integer_tensor_gives_the_default_dtype():
    # regression: the scalar became a float32 0-d array and NumPy promoted int64 with it to float64
    i = gk.tensor([1, 2, 3])
    for y in (i + 2.5, 2.5 + i, i * 0.5, i - 0.5, 1.5 - i, i / 2.0, 3.0 / i, gk.where(i > 1, i, 0.5),
              gk.maximum(i, 1.5), gk.tensor([True, False]) * 2.5):
        assert y.dtype == np.float32, y
    np.testing.assert_array_equal((i * 0.5).numpy(), [0.5, 1.0, 1.5])
    np.testing.assert_array_equal((1.5 - i).numpy(), [0.5, -0.5, -1.5])
    assert (i < 2.5).tolist() == [True, True, False]
    gk.set_default_dtype("float64")
    assert (i + 2.5).dtype == np.float64
    assert (i + 2).dtype == np.int64


def test_logical_ops_need_a_tensor_operand():
    with pytest.raises(TypeError, match="at least one operand must be a Tensor"):
        gk.logical_and(True, False)


def test_dim_and_axis_arguments():
    x = gk.tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.sum([0, 2]).numpy(), np.arange(24.0).reshape(2, 3, 4).sum((0, 2)))
    assert x.sum(dim=1, axis=1).shape == (2, 4)  # the same axis twice is fine
    with pytest.raises(TypeError, match=r"sum\(\) got both dim=0 and axis=1; give one"):
        x.sum(dim=0, axis=1)


def test_functions_accept_lists_and_arrays():
    y = gk.exp([0.0, 1.0])
    assert isinstance(y, gk.Tensor)
    np.testing.assert_allclose(y.numpy(), np.exp([0.0, 1.0]), rtol=1e-6)
    np.testing.assert_array_equal(gk.neg(np.array([1, -2])).numpy(), [-1, 2])


# ----------------------------------------------------------------------------- elementwise
def test_binary_op_errors_other_than_broadcasting_pass_through():
    a, b = gk.tensor([2, 3]), gk.tensor([1, -1])
    with pytest.raises(ValueError, match="negative integer powers"):
        gk.pow(a, b)
    with pytest.raises(ValueError, match=r"add: shapes \(2,\) and \(3,\) cannot be broadcast together"):
        gk.add(a, gk.tensor([1, 2, 3]))


@pytest.mark.parametrize("c", [0, 1])
def test_pow_by_zero_and_one(c):
    x = _t((3, 2))
    y = x**c
    np.testing.assert_array_equal(y.numpy(), x.numpy() ** c)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 2), float(c)))
    assert gradcheck(lambda a: a**c, [x]).passed
    assert gradgradcheck(lambda a: (a**c) * a, [x]).passed


def test_pow_of_an_integer_tensor_by_a_float_or_negative_exponent_is_float():
    x = gk.tensor([1, 2, 4])
    y = x**0.5
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), np.sqrt([1.0, 2.0, 4.0]), rtol=1e-6)
    y = gk.pow(x, -1)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), [1.0, 0.5, 0.25])
    assert (x**2).dtype == np.int64 and (x**2).tolist() == [1, 4, 16]


def _vjp_of_vjp(fn, x, v, w):
    """d/dv <w, J(x)^T v>: differentiates a backward rule with respect to its incoming gradient."""
    (g,) = gk.grad(fn(x), x, grad_outputs=v, create_graph=True)
    (gv,) = gk.grad((g * w).sum(), v)
    return g, gv


@pytest.mark.parametrize("fn, deriv", [
    (gk.relu, lambda x: (x > 0).astype(float)),
    (lambda t: gk.clamp(t, -0.5, 0.5), lambda x: ((x >= -0.5) & (x <= 0.5)).astype(float)),
    (lambda t: gk.clamp(t, max=0.2), lambda x: (x <= 0.2).astype(float)),
])
def test_masked_backward_rules_are_linear_in_the_incoming_gradient(fn, deriv):
    x = gk.tensor(np.array([-1.3, -0.4, 0.1, 0.3, 2.0]), requires_grad=True)
    v = gk.tensor(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), requires_grad=True)
    w = gk.tensor(np.array([0.5, -1.0, 2.0, 1.5, -0.5]))
    g, gv = _vjp_of_vjp(fn, x, v, w)
    d = deriv(x.numpy())
    np.testing.assert_allclose(g.numpy(), d * v.numpy())
    np.testing.assert_allclose(gv.numpy(), d * w.numpy())


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp\\(\\) needs at least one of min or max"):
        gk.clamp(gk.ones(2))


def test_cast_is_differentiable_for_floats_and_cuts_the_graph_for_integers():
    x = gk.tensor(np.array([0.5, 1.5], dtype=np.float32), requires_grad=True)
    y = ops.cast(x, np.float64)
    assert y.dtype == np.float64 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 3.0])
    assert ops.cast(x, "float32") is x  # nothing to do
    i = ops.cast(x, "int64")
    assert i.dtype == np.int64 and not i.requires_grad and i.tolist() == [0, 1]


def test_to_device_on_the_cpu_passes_the_gradient_back():
    x = _t((2, 3))
    y = ops.to_device(x, "cpu")
    assert y.device == "cpu" and y is not x
    (y * gk.tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(6.0).reshape(2, 3))


def test_where_accepts_lists_non_bool_conditions_and_scalars():
    y = gk.where([True, False, True], 1.0, 2.0)
    np.testing.assert_array_equal(y.numpy(), [1.0, 2.0, 1.0])
    a = _t((3,))
    y = gk.where(np.array([2, 0, -1]), a, 0.0)  # nonzero means true
    np.testing.assert_array_equal(y.numpy(), np.where([True, False, True], a.numpy(), 0.0))
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 0.0, 1.0])


def test_sign_has_a_zero_gradient():
    # as torch: sign stays in the graph and passes zeros (x.grad is zeros, not None)
    x = gk.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    s = gk.sign(x)
    np.testing.assert_array_equal(s.numpy(), [-1.0, 0.0, 1.0])
    s.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


# ----------------------------------------------------------------------------- comparisons and logic
_A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
_B = np.array([3.0, 2.0, 1.0])


@pytest.mark.parametrize("name, ref", [
    ("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
    ("gt", np.greater), ("ge", np.greater_equal),
])
def test_comparison_functions_match_numpy(name, ref):
    fn = getattr(gk, name)
    out = fn(gk.tensor(_A), gk.tensor(_B))
    assert out.dtype == np.bool_ and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), ref(_A, _B))
    np.testing.assert_array_equal(fn(_A.tolist(), 2.0).numpy(), ref(_A, 2.0))  # no Tensor at all


def test_equality_with_non_numbers():
    x = gk.tensor([1.0, 2.0])
    assert (x == "a").tolist() == [False, False]
    assert (x != "a").tolist() == [True, True]
    assert (x == None) is False  # noqa: E711 - Python falls back to identity
    assert (x == 2).tolist() == [False, True]


def test_comparison_broadcast_error_names_the_shapes():
    with pytest.raises(ValueError, match=r"less: shapes \(2,\) and \(3,\) cannot be broadcast together"):
        gk.tensor([1.0, 2.0]) < gk.tensor([1.0, 2.0, 3.0])


def test_logical_ops_and_float_predicates():
    a, b = gk.tensor([True, True, False]), gk.tensor([True, False, False])
    assert (~a).tolist() == [False, False, True]
    assert gk.logical_not(np.array([0, 1])).tolist() == [True, False]
    assert (a & b).tolist() == [True, False, False]
    assert (a | b).tolist() == [True, True, False]
    x = gk.tensor([1.0, np.nan, np.inf, -np.inf])
    assert gk.isnan(x).tolist() == [False, True, False, False]
    assert x.isfinite().tolist() == [True, False, False, False]


def test_allclose():
    a = gk.tensor([1.0, 2.0])
    assert gk.allclose(a, [1.0, 2.0 + 1e-7]) is True
    assert gk.allclose(a, [1.0, 2.001]) is False
    assert gk.allclose(a, [1.0, 2.001], atol=1e-2) is True


# ----------------------------------------------------------------------------- matrix products
def test_matmul_with_arrays_and_mixed_dtypes():
    m = np.arange(6.0).reshape(2, 3)
    y = gk.matmul(m.tolist(), np.ones((3, 2)))
    np.testing.assert_array_equal(y.numpy(), m @ np.ones((3, 2)))
    w = gk.tensor(np.ones((3, 2), dtype=np.float32))
    y = gk.matmul(gk.tensor([[1, 2, 3]]), w)  # int64 @ float32: the integer side is cast
    assert y.dtype == np.float32 and y.tolist() == [[6.0, 6.0]]
    y = gk.matmul(np.eye(2, dtype=np.float32), gk.tensor(np.ones((2, 1), dtype=np.float32)))
    assert y.dtype == np.float32 and y.tolist() == [[1.0], [1.0]]


def test_matmul_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"matmul: both operands need at least one dimension, got shapes \(\) and \(2,\)"):
        gk.matmul(gk.tensor(1.0), gk.ones(2))
    with pytest.raises(ValueError, match=r"batch dimensions of shapes \(2, 3, 4\) and \(3, 4, 5\) cannot be broadcast"):
        gk.ones(2, 3, 4) @ gk.ones(3, 4, 5)


def test_linear_checks_the_input_and_casts_it_to_the_weight_dtype():
    w = gk.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3), requires_grad=True)
    with pytest.raises(ValueError, match=r"linear expected input with last dimension 3, got shape \(4, 2\)"):
        gk.linear(gk.ones(4, 2), w)
    with pytest.raises(ValueError, match=r"last dimension 3, got shape \(\)"):
        gk.linear(gk.tensor(1.0), w)
    x = np.array([[1.0, 0.5, -1.0]])
    y = gk.linear(x, w)  # a float64 array: cast to float32
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), x @ w.numpy().T, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.repeat(x.astype(np.float32), 2, 0))


# ----------------------------------------------------------------------------- reductions
def test_sum_dtypes():
    b = gk.tensor([[True, False, True], [True, True, True]])
    s = b.sum()
    assert s.dtype == np.int64 and s.item() == 5
    np.testing.assert_array_equal(b.sum(1).numpy(), [2, 3])
    s = gk.sum(gk.tensor([1, 2, 3]), dtype="float64")
    assert s.dtype == np.float64 and s.item() == 6.0


def test_mean_of_integers_is_in_the_default_float():
    m = gk.tensor([[1, 2], [4, 6]]).mean(0)
    assert m.dtype == np.float32
    np.testing.assert_array_equal(m.numpy(), [2.5, 4.0])


def test_amin_and_max_over_several_dims():
    a = np.random.default_rng(3).permutation(24).reshape(2, 3, 4) * 0.5
    x = gk.tensor(a, requires_grad=True)
    np.testing.assert_array_equal(gk.amin(x, (0, 2)).numpy(), a.min((0, 2)))
    m = x.max(dim=(0, 2), keepdim=True)
    assert isinstance(m, gk.Tensor)  # a tuple of dims gives the values only
    np.testing.assert_array_equal(m.numpy(), a.max((0, 2), keepdims=True))
    assert gradcheck(lambda t: gk.amin(t, (1, 2)), [x]).passed
    assert gradcheck(lambda t: gk.amin(t, 0, keepdim=True) * t.max(dim=(0, 1)), [x]).passed


def test_amin_shares_the_gradient_among_ties():
    x = gk.tensor([[1.0, 1.0, 3.0], [0.0, 2.0, 0.0]], requires_grad=True)
    gk.amin(x, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.5, 0.5, 0.0], [0.5, 0.0, 0.5]])


def test_argmin_and_argmax():
    a = np.array([[3.0, -1.0, 2.0], [0.0, 5.0, -4.0]])
    x = gk.tensor(a)
    i = gk.argmin(x, 1)
    assert i.dtype == np.int64
    np.testing.assert_array_equal(i.numpy(), a.argmin(1))
    np.testing.assert_array_equal(x.argmin(dim=0, keepdim=True).numpy(), a.argmin(0)[None])
    np.testing.assert_array_equal(x.argmax(axis=1, keepdims=True).numpy(), a.argmax(1)[:, None])
    assert gk.argmin(x).item() == 5
    values, indices = x.min(1)
    np.testing.assert_array_equal(values.numpy(), a.min(1))
    np.testing.assert_array_equal(indices.numpy(), a.argmin(1))


def test_any_and_all():
    x = gk.tensor([[0, 0, 1], [0, 0, 0]])
    assert gk.any(x).item() is True and x.all().item() is False
    assert x.any(1).tolist() == [True, False]
    assert x.any(dim=0, keepdim=True).tolist() == [[False, False, True]]
    assert gk.any(x, axis=[0, 1]).item() is True


# ----------------------------------------------------------------------------- shapes
def test_permute_identity_and_error():
    x = gk.ones(2, 3)
    assert gk.permute(x, 0, 1) is x
    with pytest.raises(ValueError, match=r"permute: dims \(0, 0\) are not a permutation of the 2 dimensions of \(2, 3\)"):
        x.permute(0, 0)


def test_permute_rejects_dims_out_of_range():
    # regression: dims were taken modulo ndim, so (0, 1, 5) passed as (0, 1, 2) and (3, 1, 2) as (0, 1, 2)
    x = gk.ones(2, 3, 4)
    with pytest.raises(IndexError, match="dimension 5 is out of range for a tensor with 3 dimensions"):
        x.permute(0, 1, 5)
    with pytest.raises(IndexError, match="dimension 3 is out of range for a tensor with 3 dimensions"):
        gk.permute(x, (3, 1, 2))
    assert x.permute(-1, 0, 1).shape == (4, 2, 3)  # negative dims still count from the end
    with pytest.raises(ValueError, match=r"permute: dims \(0,\) are not a permutation of the 0 dimensions"):
        gk.tensor(1.0).permute(0)


def test_transpose_of_a_vector_is_the_vector():
    v = gk.ones(3)
    assert v.transpose() is v and gk.transpose(gk.tensor(2.0)).shape == ()


def test_flatten_scalars_and_empty_tensors():
    assert gk.flatten(gk.tensor(3.0)).tolist() == [3.0]
    e = gk.zeros(2, 0, 3)
    assert gk.flatten(e).shape == (0,)
    assert gk.flatten(e, 1).shape == (2, 0)
    assert gk.flatten(e, 0, 1).shape == (0, 3)


def test_squeeze_all_and_unsqueeze_range():
    x = gk.ones(1, 3, 1, 2)
    assert gk.squeeze(x).shape == (3, 2)
    assert x.squeeze(axis=2).shape == (1, 3, 2)
    assert gk.unsqueeze(gk.ones(3), -2).shape == (1, 3)
    with pytest.raises(IndexError, match="unsqueeze: dim 3 is out of range for a tensor with 1 dimensions"):
        gk.unsqueeze(gk.ones(3), 3)


def test_broadcast_to_and_expand():
    x = _t((3, 1))
    with pytest.raises(ValueError, match=r"broadcast_to: cannot broadcast shape \(3, 1\) to \(2, 4\)"):
        gk.broadcast_to(x, (2, 4))
    y = x.expand((2, -1, 4))
    assert y.shape == (2, 3, 4)
    np.testing.assert_array_equal(y.numpy(), np.broadcast_to(x.numpy(), (2, 3, 4)))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 1), 8.0))


def test_getitem_error_names_the_shape():
    with pytest.raises(IndexError, match=r"index 5 is invalid for a tensor of shape \(2, 3\)"):
        gk.ones(2, 3)[5]


def test_cat_and_stack_errors():
    with pytest.raises(ValueError, match=r"cat\(\) needs at least one tensor"):
        gk.cat([])
    with pytest.raises(ValueError, match=r"cat\(\) cannot join 0-d tensors; use stack\(\)"):
        gk.cat([gk.tensor(1.0), gk.tensor(2.0)])
    with pytest.raises(ValueError, match=r"stack\(\) needs at least one tensor"):
        gk.stack([])
    with pytest.raises(ValueError, match=r"stack: all tensors must have the same shape, got \(2,\), \(3,\)"):
        gk.stack([gk.ones(2), gk.ones(3)])


def test_cat_of_integers_and_floats_is_float():
    f = _t((2,))
    y = gk.cat([gk.tensor([1, 2]), f], axis=0)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.numpy(), np.concatenate([[1.0, 2.0], f.numpy()]))
    (y * gk.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(f.grad.numpy(), [3.0, 4.0])


def test_cat_promotes_mixed_dtypes_whatever_their_order():
    # regression: the first tensor's dtype won between two floats or two integers, so
    # cat([float32, float64]) rounded to float32 and cat([int32, int64]) wrapped 2**40 to 0
    f32 = gk.tensor(np.array([0.1], dtype=np.float32))
    f64 = gk.tensor(np.array([0.1], dtype=np.float64), requires_grad=True)
    for parts in ([f32, f64], [f64, f32]):
        y = gk.cat(parts)
        assert y.dtype == np.float64
        assert 0.1 in y.numpy().tolist()  # the float64 value is exact, not rounded to float32
    i32, i64 = gk.tensor(np.array([1], dtype=np.int32)), gk.tensor([2**40])
    for parts in ([i32, i64], [i64, i32]):
        y = gk.cat(parts)
        assert y.dtype == np.int64 and sorted(y.tolist()) == [1, 2**40]
    y = gk.cat([gk.tensor([True]), gk.tensor(np.array([7], dtype=np.uint8))])
    assert y.dtype == np.uint8 and y.tolist() == [1, 7]
    y = gk.cat([gk.tensor([2**40]), f32])  # an integer next to a float takes the float (as in PyTorch)
    assert y.dtype == np.float32
    gk.cat([f32, f64]).sum().backward()
    assert f64.grad.dtype == np.float64 and f64.grad.tolist() == [1.0]


def test_split_errors():
    x = gk.ones(5)
    with pytest.raises(ValueError, match="split: split_size must be positive, got 0"):
        gk.split(x, 0)
    with pytest.raises(ValueError, match=r"split: sections \[2, 2\] sum to 4, but dimension 0 has size 5"):
        gk.split(x, [2, 2])
    assert [p.shape for p in gk.split(x, np.int64(2))] == [(2,), (2,), (1,)]


def test_pad_errors():
    x = gk.ones(2, 3)
    with pytest.raises(ValueError, match=r"pad: got 1 \(before, after\) pairs for a tensor with 2 dimensions"):
        gk.pad(x, ((1, 1),))
    with pytest.raises(ValueError, match=r"pad: expected an even number of values for at most 2 dimensions, got \(1, 2, 3\)"):
        gk.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match=r"pad: expected an even number .* got \(1, 1, 1, 1, 1, 1\)"):
        gk.pad(x, (1,) * 6)
    with pytest.raises(ValueError, match=r"pad: widths must be non-negative, got \(\(0, 0\), \(-1, 0\)\)"):
        gk.pad(x, (-1, 0))


# ----------------------------------------------------------------------------- helpers used by autograd
def test_zeros_like_tensor_and_the_hessian_of_a_linear_function():
    x = gk.tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    z = ops.zeros_like_tensor(x)
    assert z.shape == (2, 3) and z.dtype == np.float32 and not z.requires_grad
    assert not z.numpy().any()
    h = gk.autograd.hessian(lambda t: (t * 3.0).sum(), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(h.numpy(), np.zeros((2, 2)))
