"""Gradient clipping, exponentially weighted averages and minimize()."""

import functools

import numpy as np
import pytest

import gradkit as gk


def _with_grads(*grads, dtype="float32"):
    ps = []
    for g in grads:
        p = gk.tensor(np.zeros(np.shape(g)), dtype=dtype, requires_grad=True)
        p.grad = gk.tensor(np.array(g, dtype=dtype))  # a copy: clipping works in place
        ps.append(p)
    return ps


# ---------------------------------------------------------------- clipping
def test_clip_grad_norm_scales_jointly():
    a, b = _with_grads([3.0, 0.0], [[4.0]])
    total = gk.optim.clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    assert total.dtype == np.float32
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), [[0.8]], rtol=1e-5)


def test_clip_grad_norm_leaves_small_gradients_and_skips_none():
    a, b = _with_grads([0.3, 0.4], [0.0])
    c = gk.tensor([1.0], requires_grad=True)  # no grad
    total = gk.optim.clip_grad_norm_([a, b, c], max_norm=1.0)
    assert total.item() == pytest.approx(0.5)
    np.testing.assert_allclose(a.grad.numpy(), [0.3, 0.4])


@pytest.mark.parametrize("norm_type", [1.0, 3.0, float("inf")])
def test_clip_grad_norm_other_norms(norm_type):
    g1, g2 = np.array([1.0, -2.0]), np.array([3.0])
    a, b = _with_grads(g1, g2, dtype="float64")
    total = gk.optim.clip_grad_norm_([a, b], max_norm=0.5, norm_type=norm_type)
    allg = np.concatenate([g1, g2])
    expected = np.max(np.abs(allg)) if norm_type == float("inf") else np.sum(np.abs(allg) ** norm_type) ** (1 / norm_type)
    assert total.item() == pytest.approx(expected)
    np.testing.assert_allclose(a.grad.numpy(), g1 * 0.5 / (expected + 1e-6))


def test_clip_grad_norm_nonfinite_and_bad_input():
    (a,) = _with_grads([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        gk.optim.clip_grad_norm_(a, 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="max_norm"):
        gk.optim.clip_grad_norm_(a, -1.0)
    with pytest.raises(ValueError, match="norm_type"):
        gk.optim.clip_grad_norm_(a, 1.0, norm_type=0)


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    gs = [rng.standard_normal(s) for s in [(3, 4), (5,)]]
    ps = _with_grads(*gs, dtype="float64")
    tp = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in gs]
    for p, g in zip(tp, gs):
        p.grad = torch.from_numpy(g.copy())
    for nt in (2.0, 1.0, float("inf")):
        t = torch.nn.utils.clip_grad_norm_(tp, 0.7, norm_type=nt)
        g = gk.optim.clip_grad_norm_(ps, 0.7, norm_type=nt)
        assert g.item() == pytest.approx(t.item(), rel=1e-12)
        for p, q in zip(ps, tp):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12)


def test_clip_grad_value():
    (a,) = _with_grads([3.0, -0.5, -7.0])
    gk.optim.clip_grad_value_([a], 1.0)
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, -0.5, -1.0])
    with pytest.raises(ValueError, match="clip_value"):
        gk.optim.clip_grad_value_([a], -1.0)


def test_clipping_after_real_backward_does_not_touch_shared_memory():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    y = gk.tensor([3.0, 4.0], requires_grad=True)
    (x + y).sum().backward()  # both receive the same upstream gradient
    gk.optim.clip_grad_norm_([x, y], 1.0)
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy())
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5], rtol=1e-5)



def test_clipping_lives_in_nn_utils_and_optim_re_exports_it():
    import gradkit.optim.clip

    for name in ("clip_grad_norm_", "clip_grad_value_"):
        fn = getattr(gk.nn.utils, name)
        assert fn.__module__ == "gradkit.nn.utils"
        assert getattr(gk.optim, name) is fn and getattr(gradkit.optim.clip, name) is fn
    (a,) = _with_grads([3.0, 4.0])
    assert gk.nn.utils.clip_grad_norm_([a], 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.numpy(), [0.6, 0.8], rtol=1e-5)


# ---------------------------------------------------------------- exponentially weighted averages
def test_ewa_bias_correction():
    temps = np.array([40.0, 49.0, 45.0, 44.0, 60.0])
    raw = gk.optim.ewa(temps, beta=0.9)
    corrected = gk.optim.ewa(temps, beta=0.9, bias_correction=True)
    v, by_hand = 0.0, []
    for t, x in enumerate(temps, 1):
        v = 0.9 * v + 0.1 * x
        by_hand.append(v)
    np.testing.assert_allclose(raw, by_hand)
    np.testing.assert_allclose(corrected, np.array(by_hand) / (1 - 0.9 ** np.arange(1, 6)))
    assert corrected[0] == pytest.approx(40.0)  # corrected starts at the first value, not at 4
    avg = gk.optim.ExponentiallyWeightedAverage(beta=0.9, bias_correction=True)
    for x in temps:
        out = avg.update(x)
    assert out == pytest.approx(corrected[-1])
    state = avg.state_dict()
    again = gk.optim.ExponentiallyWeightedAverage()
    again.load_state_dict(state)
    assert again.update(50.0) == pytest.approx(avg.update(50.0))
    with pytest.raises(ValueError, match="beta"):
        gk.optim.ExponentiallyWeightedAverage(beta=1.0)


def test_ewa_on_arrays_keeps_dtype():
    avg = gk.optim.ExponentiallyWeightedAverage(beta=0.5)
    avg.update(gk.tensor([2.0, 4.0]))
    out = avg.update(np.array([2.0, 4.0], np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [1.5, 3.0])


def test_exponential_moving_average_of_parameters():
    w = gk.tensor([0.0, 10.0], requires_grad=True)
    ema = gk.optim.ExponentialMovingAverage([w], decay=0.9)
    with gk.no_grad():
        w.fill_(1.0)
    ema.update()
    np.testing.assert_allclose(ema.shadow[0], [0.1, 9.1], rtol=1e-6)
    ema.store()
    ema.copy_to()
    np.testing.assert_allclose(w.numpy(), [0.1, 9.1], rtol=1e-6)
    ema.restore()
    np.testing.assert_allclose(w.numpy(), [1.0, 1.0])
    other = gk.optim.ExponentialMovingAverage([w], decay=0.5)
    other.load_state_dict(ema.state_dict())
    assert other.decay == 0.9
    np.testing.assert_allclose(other.shadow[0], ema.shadow[0])
    with pytest.raises(RuntimeError, match="store"):
        ema.restore()


# ---------------------------------------------------------------- minimize
def test_minimize_tf_tape_example():
    w = gk.tensor(0.0, requires_grad=True)
    cost = gk.optim.minimize(lambda: w ** 2 - 10 * w + 25, [w], gk.optim.Adam([w], lr=0.1), steps=1000)
    assert round(w.item(), 3) == 5.0
    assert cost.item() == pytest.approx(0.0, abs=1e-4)
    assert not cost.requires_grad


def test_minimize_with_lbfgs_newton_and_a_factory():
    w = gk.tensor(0.0, dtype="float64", requires_grad=True)
    opt = gk.optim.LBFGS([w], line_search_fn="strong_wolfe")
    cost = gk.optim.minimize(lambda: w ** 2 - 10 * w + 25, [w], opt, steps=1)
    assert w.item() == pytest.approx(5.0, abs=1e-6) and cost.item() == pytest.approx(0.0, abs=1e-10)
    v = gk.tensor(0.0, dtype="float64", requires_grad=True)
    gk.optim.minimize(lambda: v ** 2 - 10 * v + 25, [v], gk.optim.Newton([v]), steps=1)
    assert v.item() == pytest.approx(5.0, abs=1e-12)
    u = gk.tensor(0.0, requires_grad=True)
    gk.optim.minimize(lambda: (u - 2) ** 2, u, functools.partial(gk.optim.SGD, lr=0.1), steps=200)
    assert u.item() == pytest.approx(2.0, abs=1e-4)


def test_minimize_errors():
    w = gk.tensor(0.0, requires_grad=True)
    other = gk.tensor(0.0, requires_grad=True)
    with pytest.raises(ValueError, match="not in the optimizer"):
        gk.optim.minimize(lambda: w ** 2, [w], gk.optim.SGD([other], lr=0.1), steps=1)
    with pytest.raises(ValueError, match="steps"):
        gk.optim.minimize(lambda: w ** 2, [w], gk.optim.SGD([w], lr=0.1), steps=0)
    with pytest.raises(TypeError, match="scalar"):
        gk.optim.minimize(lambda: gk.tensor([1.0, 2.0], requires_grad=True) * w, [w], gk.optim.SGD([w], lr=0.1))


def test_ewa_numpy_beta_and_messages():
    assert gk.optim.ExponentiallyWeightedAverage(beta=np.float32(0.5)).update(2.0) == pytest.approx(1.0)
    np.testing.assert_allclose(gk.optim.ewa([1.0, 1.0], beta=np.float64(0.5)), [0.5, 0.75])
    w = gk.tensor([0.0], requires_grad=True)
    assert type(gk.optim.ExponentialMovingAverage([w], decay=np.float64(0.5)).decay) is float
    with pytest.raises(ValueError, match=r"invalid beta: expected a number in \[0, 1\), got 1.0"):
        gk.optim.ewa([1.0], beta=1.0)
    with pytest.raises(ValueError, match=r"invalid decay: expected a number in \[0, 1\)"):
        gk.optim.ExponentialMovingAverage([w], decay=True)
