"""Autograd semantics: accumulation, graph freeing, deep chains, higher order, custom Functions."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.autograd.function import Op, once_differentiable
from gradkit.diagnose import gradcheck
from gradkit.ops._util import const


def test_deep_chain_does_not_hit_recursion_limit():
    x = gk.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_gradient_accumulates_across_uses_and_calls():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x + 3 * x).sum()  # x used three times
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 3)
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 3 + 5)
    x.grad = None
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5, 5])


def test_graph_is_freed_unless_retained():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()
    x.grad = None
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * g1)


def test_backward_on_non_scalar_needs_gradient():
    x = gk.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"scalar outputs.*shape \(3,\).*gradient="):
        y.backward()
    y.backward(gk.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])


def test_backward_without_grad_explains():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gk.ones(2).sum().backward()


def test_no_grad_context_and_decorator():
    x = gk.ones(2, requires_grad=True)
    with gk.no_grad():
        assert not (x * 2).requires_grad
        with gk.enable_grad():
            assert (x * 2).requires_grad

    @gk.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert (x * 2).requires_grad
    assert gk.is_grad_enabled()


def test_broadcast_gradients_sum_back_to_input_shape():
    a = gk.ones(3, 1, requires_grad=True)
    b = gk.ones(4, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(a.grad.numpy(), 4.0)
    np.testing.assert_allclose(b.grad.numpy(), 3.0)


def test_leaf_grads_never_share_memory():
    a = gk.zeros(3, requires_grad=True)
    b = gk.zeros(3, requires_grad=True)
    (a + b).sum().backward()  # both receive the same upstream gradient
    a.grad.array *= 10
    np.testing.assert_allclose(b.grad.numpy(), 1.0)
    c = gk.zeros(2, 3, requires_grad=True)
    c.sum().backward()  # gradient of a sum is a broadcast view: must be writeable
    c.grad.array[0, 0] = 7.0


def test_integer_tensor_rounds():
    idx = gk.tensor([0, 2, 1])
    assert idx.dtype == np.int64
    with pytest.raises(RuntimeError, match="only floating-point tensors can require gradients"):
        gk.tensor([1, 2], requires_grad=True)
    x = gk.randn(3, 4, requires_grad=True)
    x[idx].sum().backward()
    assert x.grad.numpy()[[0, 1, 2]].sum() == 12


def test_repeated_integer_index_accumulates():
    x = gk.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 0, 2]].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 0, 1])


def test_grad_function_does_not_touch_dot_grad():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    w = gk.tensor([3.0, 4.0], requires_grad=True)
    (gx,) = gk.grad((x * w).sum(), x)
    np.testing.assert_allclose(gx.numpy(), [3, 4])
    assert x.grad is None and w.grad is None


def test_grad_allow_unused():
    x = gk.tensor(1.0, requires_grad=True)
    z = gk.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        gk.grad(x * 2, [x, z])
    gx, gz = gk.grad(x * 2, [x, z], allow_unused=True)
    assert gx.item() == 2.0 and gz is None


def test_grad_of_intermediate_tensor():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    (gh,) = gk.grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())


def test_higher_order_derivatives():
    x = gk.tensor(2.0, dtype="float64", requires_grad=True)
    y = x**4
    (g,) = gk.grad(y, x, create_graph=True)
    (h,) = gk.grad(g, x, create_graph=True)
    (t,) = gk.grad(h, x)
    assert g.item() == pytest.approx(32.0)  # 4x^3
    assert h.item() == pytest.approx(48.0)  # 12x^2
    assert t.item() == pytest.approx(48.0)  # 24x


def test_backward_create_graph_then_second_backward():
    x = gk.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    (x.sin().sum()).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -np.sin([1.0, 2.0]))


def test_hessian_and_hvp_match_closed_form():
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    A = gk.tensor(a)

    def f(v):
        return 0.5 * (v @ (A @ v)) + (v**3).sum()

    x = gk.tensor([0.5, -1.0], dtype="float64")
    H = gk.autograd.hessian(f, x).numpy()
    np.testing.assert_allclose(H, a + np.diag(6 * x.numpy()), rtol=1e-12)
    v = gk.tensor([1.0, 2.0], dtype="float64")
    np.testing.assert_allclose(gk.autograd.hvp(f, x, v).numpy(), H @ v.numpy(), rtol=1e-12)
    J = gk.autograd.jacobian(lambda t: t * t, x).numpy()
    np.testing.assert_allclose(J, np.diag(2 * x.numpy()))


class Cube(gk.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * 3 * x * x


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return gy * 2 * x * x  # deliberately wrong


class ScaleBy(gk.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, gy):
        return gy * ctx.k, None


def test_custom_function_first_and_second_order():
    x = gk.tensor([1.0, -2.0], dtype="float64", requires_grad=True)
    assert gradcheck(Cube.apply, [x]).passed
    (g,) = gk.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = gk.grad(g.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * x.numpy())
    assert gradcheck(lambda t: ScaleBy.apply(t, 3.0), [x]).passed


def test_gradcheck_catches_a_wrong_backward_and_names_elements():
    x = gk.tensor([1.0, -2.0, 0.5], dtype="float64", requires_grad=True)
    report = gradcheck(WrongCube.apply, [x])
    assert not report.passed
    assert report.max_rel_error > 1e-2
    assert "FAIL" in str(report) and "at (1,)" in str(report)


def test_gradcheck_warns_in_float32():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(gk.diagnose.GradcheckWarning, match="float64"):
        gradcheck(lambda t: t * t, [x])


def test_custom_function_must_return_tensors():
    class Bad(gk.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.numpy()

        @staticmethod
        def backward(ctx, gy):
            return gy

    with pytest.raises(TypeError, match="must return Tensors"):
        Bad.apply(gk.ones(2, requires_grad=True))


class FusedSquare(Op):
    def forward(self, x):
        self.x = x
        return x * x

    @once_differentiable
    def backward(self, gy):
        return const(2 * self.x * gy.array)


def test_once_differentiable_raises_on_double_backward():
    x = gk.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    (g,) = gk.grad(FusedSquare()(x).sum(), x)
    np.testing.assert_allclose(g.numpy(), [2, 4])
    (g,) = gk.grad(FusedSquare()(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once-differentiable"):
        gk.grad(g.sum(), x)


def test_hooks_and_retain_grad():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    seen = []
    handle = h.register_hook(lambda g: seen.append(g.numpy().copy()))
    x.register_hook(lambda g: g * 10)
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.numpy())
    np.testing.assert_allclose(seen[0], 2 * h.numpy())
    np.testing.assert_allclose(x.grad.numpy(), 10 * 4 * h.numpy())
    handle.remove()


def test_detach_cuts_the_graph():
    x = gk.tensor([1.0], requires_grad=True)
    y = x.detach() * x
    y.backward()
    assert x.grad.item() == 1.0


def test_inplace_on_tensor_requiring_grad_is_refused():
    w = gk.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.add_(1.0)
    with gk.no_grad():
        w.add_(1.0)
    np.testing.assert_allclose(w.numpy(), 2.0)


def test_mixed_dtype_gradient_is_cast_back():
    a = gk.ones(2, requires_grad=True)  # float32
    b = gk.ones(2, dtype="float64", requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_inplace_operators_update_parameters_under_no_grad():
    w = gk.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    ref = w
    with gk.no_grad():
        w -= 0.5 * w.grad
        w *= 2.0
    assert w is ref and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.numpy(), [0.0, 0.0])
    with pytest.raises(RuntimeError, match="in-place.*no_grad"):
        w += 1.0
    h = w * 1.0  # a non-leaf: in-place falls back to an out-of-place op that keeps the graph
    h += 1.0
    h.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 1.0] + 2 * np.array([0.0, 0.0]) + np.array([2.0, 4.0]))


# ----------------------------------------------------------------------------- one derivative per op
class _FusedSinMul(gk.autograd.FusedOp):
    """sin(a) * b in one kernel: the derivative on arrays, higher ones from the composite."""

    def forward(self, a, b):
        return np.sin(a) * b

    def backward_arrays(self, g):
        a, b = self.inputs[0].array, self.inputs[1].array
        na, nb = self.needs_input_grad
        return (g * np.cos(a) * b if na else None, g * np.sin(a) if nb else None)

    def composite(self, a, b):
        return a.sin() * b


class _FusedNoComposite(_FusedSinMul):
    composite = None


def test_fused_op_first_derivative_from_arrays_and_second_from_its_composite():
    a = gk.tensor([0.3, -1.2, 2.0], dtype="float64", requires_grad=True)
    b = gk.tensor([1.5, 0.5, -2.0], dtype="float64", requires_grad=True)
    y = _FusedSinMul()(a, b).sum()
    ga, gb = gk.grad(y, [a, b], create_graph=True)
    np.testing.assert_allclose(ga.numpy(), np.cos(a.numpy()) * b.numpy())
    np.testing.assert_allclose(gb.numpy(), np.sin(a.numpy()))
    (gaa,) = gk.grad(ga.sum(), a)  # d/da of cos(a) b = -sin(a) b
    np.testing.assert_allclose(gaa.numpy(), -np.sin(a.numpy()) * b.numpy())
    (gab,) = gk.grad(gb.sum(), a)  # d/da of sin(a) = cos(a)
    np.testing.assert_allclose(gab.numpy(), np.cos(a.numpy()))


def test_fused_op_ordinary_backward_records_nothing_and_skips_unneeded_inputs():
    a = gk.tensor([0.3, -1.2], dtype="float64", requires_grad=True)
    b = gk.tensor([1.5, 0.5], dtype="float64")  # no grad wanted
    _FusedSinMul()(a, b).sum().backward()
    assert a.grad is not None and not a.grad.requires_grad and a.grad._ctx is None
    np.testing.assert_allclose(a.grad.numpy(), np.cos(a.numpy()) * b.numpy())


def test_fused_op_without_composite_refuses_a_second_derivative():
    a = gk.tensor([0.3, -1.2], dtype="float64", requires_grad=True)
    b = gk.tensor([1.5, 0.5], dtype="float64", requires_grad=True)
    (ga,) = gk.grad(_FusedNoComposite()(a, b).sum(), a, create_graph=True)
    np.testing.assert_allclose(ga.numpy(), np.cos(a.numpy()) * b.numpy())
    with pytest.raises(RuntimeError, match="once-differentiable"):
        ga.sum().backward()


@pytest.mark.parametrize("fn", [gk.exp, gk.sqrt, gk.tanh, gk.sigmoid, lambda t: t.logsumexp(0)])
def test_rules_in_terms_of_the_output_give_exact_higher_derivatives(fn):
    x = gk.tensor([0.4, 1.3, 2.2], dtype="float64", requires_grad=True)
    (g,) = gk.grad(fn(x).sum(), x, create_graph=True)
    (h,) = gk.grad(g.sum(), x)
    eps = 1e-6
    xd = x.numpy()

    def first(v):
        t = gk.tensor(v, dtype="float64", requires_grad=True)
        return gk.grad(fn(t).sum(), t)[0].numpy()

    numeric = np.array([(first(xd + eps * e) - first(xd - eps * e)).sum() / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(h.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_the_engine_tells_each_op_whether_it_builds_a_graph():
    seen = []

    class Probe(gk.autograd.FusedOp):
        def forward(self, x):
            return x * 2

        def backward_arrays(self, g):
            seen.append(self.create_graph)
            return g * 2

    x = gk.tensor([1.0], requires_grad=True)
    Probe()(x).sum().backward()
    gk.grad(Probe()(x).sum(), x, create_graph=True)
    assert seen == [False, True]


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_composite_matches_its_fused_forward_and_gives_second_derivatives(shape, bias):
    from gradkit.ops.linalg import Linear

    rng = np.random.default_rng(0)
    x = gk.tensor(rng.standard_normal(shape), dtype="float64", requires_grad=True)
    w = gk.tensor(rng.standard_normal((2, 3)), dtype="float64", requires_grad=True)
    b = gk.tensor(rng.standard_normal(2), dtype="float64", requires_grad=True) if bias else None
    args = (x, w, b) if bias else (x, w)
    np.testing.assert_allclose(Linear()(*args).numpy(), Linear().composite(*args).numpy(), rtol=1e-12)

    def penalty(x_, w_):  # a gradient penalty: the norm of d(sum tanh(linear))/dx, differentiated again
        with gk.enable_grad():  # gradcheck's numerical side calls it without recording
            x_ = x_ if x_.requires_grad else x_.detach().requires_grad_()
            (gx,) = gk.grad(gk.linear(x_, w_, b).tanh().sum(), x_, create_graph=True)
        return (gx * gx).sum()

    assert gradcheck(penalty, [x, w]).passed
