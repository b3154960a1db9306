"""Initializers: variances within sampling error of their formulas, fans, gains, orthogonality."""

import math

import numpy as np
import pytest

import gradkit as gk
from gradkit.nn import init
from gradkit.nn.init import _calculate_fan_in_and_fan_out


def _var_ok(w, expected_var):
    """Sample variance within 5 standard errors (Var of s^2 ~ 2 sigma^4 / n for a Gaussian-ish law)."""
    a = w.numpy().astype(np.float64).ravel()
    n = a.size
    se = expected_var * math.sqrt(2.0 / n)
    assert abs(a.var() - expected_var) < 5 * se, (a.var(), expected_var)
    assert abs(a.mean()) < 5 * math.sqrt(expected_var / n)


def test_fans_linear_and_conv():
    assert _calculate_fan_in_and_fan_out(gk.empty(20, 10)) == (10, 20)
    assert _calculate_fan_in_and_fan_out(gk.empty(16, 3, 5, 5)) == (75, 400)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        _calculate_fan_in_and_fan_out(gk.empty(5))


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swishy")


def test_xavier_variances():
    w = gk.empty(300, 200)
    _var_ok(init.xavier_uniform_(w), 2.0 / 500)
    _var_ok(init.xavier_normal_(w, gain=2.0), 4 * 2.0 / 500)
    assert np.abs(init.xavier_uniform_(w).numpy()).max() <= math.sqrt(6 / 500) + 1e-7


def test_kaiming_variances_and_modes():
    w = gk.empty(300, 200)
    _var_ok(init.kaiming_normal_(w, nonlinearity="relu"), 2.0 / 200)
    _var_ok(init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"), 2.0 / 300)
    _var_ok(init.kaiming_uniform_(w, nonlinearity="relu"), 2.0 / 200)
    _var_ok(init.kaiming_uniform_(w, a=math.sqrt(5)), 1.0 / (3 * 200))  # PyTorch's Linear default
    conv = gk.empty(64, 16, 3, 3)
    _var_ok(init.kaiming_normal_(conv, nonlinearity="relu"), 2.0 / (16 * 9))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(w, mode="fan_avg")


def test_lecun_and_basic_fills():
    w = gk.empty(400, 250)
    _var_ok(init.lecun_normal_(w), 1.0 / 250)
    _var_ok(init.lecun_uniform_(w), 1.0 / 250)
    _var_ok(init.normal_(w, 0.0, 0.5), 0.25)
    _var_ok(init.uniform_(w, -1.0, 1.0), 1.0 / 3)
    assert float(init.zeros_(w).abs().sum()) == 0
    assert float(init.ones_(w).sum()) == w.numel()
    assert set(init.constant_(w, 0.5).numpy().ravel().tolist()) == {0.5}
    t = init.trunc_normal_(gk.empty(1000), std=1.0, a=-1.0, b=1.0)
    assert t.numpy().min() >= -1 and t.numpy().max() <= 1
    assert init.eye_(gk.empty(3, 3)).numpy().trace() == 3


def test_orthogonal():
    for shape in [(8, 8), (4, 10), (10, 4), (6, 2, 3)]:
        w = init.orthogonal_(gk.empty(*shape, dtype="float64"), gain=2.0)
        m = w.numpy().reshape(shape[0], -1)
        if m.shape[0] <= m.shape[1]:
            np.testing.assert_allclose(m @ m.T, 4 * np.eye(m.shape[0]), atol=1e-10)
        else:
            np.testing.assert_allclose(m.T @ m, 4 * np.eye(m.shape[1]), atol=1e-10)


def test_initializers_keep_dtype_and_are_seeded():
    w = gk.empty(5, 5)
    init.xavier_uniform_(w)
    assert w.dtype == np.float32
    gk.manual_seed(3)
    a = init.normal_(gk.empty(4)).numpy().copy()
    gk.manual_seed(3)
    np.testing.assert_array_equal(init.normal_(gk.empty(4)).numpy(), a)


def test_init_on_parameter_requiring_grad():
    lin = gk.nn.Linear(3, 2)
    init.xavier_normal_(lin.weight)  # runs under no_grad internally
    assert lin.weight.requires_grad
