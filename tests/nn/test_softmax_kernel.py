"""The one stable softmax kernel (ops._softmax.softmax_parts) behind softmax, log_softmax,
cross_entropy and logsumexp: rows that are all -inf, rows with some -inf, +inf and NaN rows,
large finite values; PyTorch's semantics (compared value by value when torch is installed)."""

import math

import numpy as np
import pytest

import gradkit as gk
import gradkit.nn.functional as F
from gradkit.ops._softmax import softmax_parts

INF, NAN = math.inf, math.nan
# rows: all -inf (fully masked), some -inf, large finite, +inf among finite, all +inf, NaN
ROWS = np.array([
    [-INF, -INF, -INF],
    [0.0, -INF, 1.0],
    [1e4, -1e4, 0.0],
    [INF, 0.0, 1.0],
    [INF, INF, 0.0],
    [NAN, 0.0, 1.0],
])
BAD = [0, 3, 4, 5]  # rows whose maximum is not finite
GOOD = [1, 2]


def _functions():
    return {
        "softmax": lambda t: F.softmax(t, dim=1),
        "log_softmax": lambda t: F.log_softmax(t, dim=1),
        "logsumexp": lambda t: gk.logsumexp(t, dim=1),
        "cross_entropy": lambda t: F.cross_entropy(t, gk.tensor([0, 0, 1, 1, 0, 2]), reduction="none"),
    }


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_parts_fit_together(dtype):
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(dtype) * 3
    m, z, p, log_s = softmax_parts(x, 1)
    e = np.exp(x.astype(np.float64))
    tol = 1e-6 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(p, e / e.sum(1, keepdims=True), rtol=tol)
    np.testing.assert_allclose(z - log_s, np.log(e / e.sum(1, keepdims=True)), rtol=tol, atol=tol)
    np.testing.assert_allclose(m + log_s, np.log(e.sum(1, keepdims=True)), rtol=tol)
    assert p.dtype == z.dtype == log_s.dtype == np.dtype(dtype)
    m2, z2, p2, log_s2 = softmax_parts(x, 1, shifted=False, probs=False)
    assert z2 is None and p2 is None and np.array_equal(log_s2, log_s) and np.array_equal(m2, m)
    # several axes at once (logsumexp over a tuple of dims)
    m3, _, p3, log_s3 = softmax_parts(x.reshape(2, 2, 5), (1, 2))
    np.testing.assert_allclose((m3 + log_s3).ravel(), np.log(e.reshape(2, 10).sum(1)), rtol=tol)
    np.testing.assert_allclose(p3.sum((1, 2)), 1.0, rtol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_non_finite_rows_follow_pytorch_without_warnings(dtype):
    # RuntimeWarning is an error in this suite: none of these may warn.
    x = gk.tensor(ROWS, dtype=dtype)
    sm = F.softmax(x, 1).numpy()
    lsm = F.log_softmax(x, 1).numpy()
    lse = gk.logsumexp(x, 1).numpy()
    ce = _functions()["cross_entropy"](x).numpy()
    assert np.isnan(sm[BAD]).all() and np.isnan(lsm[BAD]).all()
    assert lse[0] == -INF and lse[3] == INF and lse[4] == INF and np.isnan(lse[5])
    assert np.isnan(ce[BAD]).all()
    # some -inf: those entries get probability 0 and log-probability -inf, the rest is exact
    e = math.e
    assert sm[1].tolist() == pytest.approx([1 / (1 + e), 0.0, e / (1 + e)])
    assert lsm[1][1] == -INF and lse[1] == pytest.approx(math.log1p(e))
    # large finite values
    assert sm[2].tolist() == [1.0, 0.0, 0.0] and lsm[2].tolist() == [0.0, -2e4, -1e4]
    assert lse[2] == 1e4 and ce[2] == 2e4
    assert ce[1] == pytest.approx(math.log1p(e) - 0.0)  # target 0 of [0, -inf, 1]
    # a target on a -inf entry costs inf, as in PyTorch
    assert F.cross_entropy(x[1:2], gk.tensor([1]), reduction="none").item() == INF


def test_fully_masked_row_ignored_by_cross_entropy():
    x = gk.tensor([[-INF, -INF, -INF], [0.0, 1.0, 2.0]], dtype="float64")
    loss = F.cross_entropy(x, gk.tensor([-100, 2]), reduction="none").numpy()
    assert loss[0] == 0.0 and loss[1] == pytest.approx(math.log(1 + math.e**-1 + math.e**-2))
    assert F.cross_entropy(x, gk.tensor([-100, 2])).item() == pytest.approx(loss[1])


def test_gradients_finite_with_some_minus_inf_and_large_values():
    x = gk.tensor(ROWS[GOOD], requires_grad=True)
    for name, fn in _functions().items():
        if name == "cross_entropy":
            fn = lambda t: F.cross_entropy(t, gk.tensor([0, 1]), reduction="none")  # noqa: E731
        x.grad = None
        fn(x).sum().backward()
        assert np.isfinite(x.grad.numpy()).all(), name


def test_against_torch():
    torch = pytest.importorskip("torch")
    for dtype in ("float32", "float64"):
        x = gk.tensor(ROWS, dtype=dtype)
        t = torch.tensor(ROWS, dtype=getattr(torch, dtype))
        theirs = {
            "softmax": torch.softmax(t, 1),
            "log_softmax": torch.log_softmax(t, 1),
            "logsumexp": torch.logsumexp(t, 1),
            "cross_entropy": torch.nn.functional.cross_entropy(t, torch.tensor([0, 0, 1, 1, 0, 2]), reduction="none"),
        }
        for name, fn in _functions().items():
            np.testing.assert_allclose(fn(x).numpy(), theirs[name].numpy(), rtol=1e-6, err_msg=f"{name} {dtype}")
        # gradients on the finite rows (some -inf, large values)
        for name, fn in _functions().items():
            a = gk.tensor(ROWS[GOOD], dtype=dtype, requires_grad=True)
            b = torch.tensor(ROWS[GOOD], dtype=getattr(torch, dtype), requires_grad=True)
            w = np.array([[0.3, -1.2, 2.0], [1.1, 0.4, -0.7]])
            if name == "cross_entropy":
                ours = F.cross_entropy(a, gk.tensor([0, 1]), reduction="none")
                ref = torch.nn.functional.cross_entropy(b, torch.tensor([0, 1]), reduction="none")
                w = w[:, 0]
            else:
                ours, ref = fn(a), {"softmax": torch.softmax, "log_softmax": torch.log_softmax,
                                    "logsumexp": torch.logsumexp}[name](b, 1)
                w = w if ours.ndim == 2 else w[:, 0]
            (ours * gk.tensor(w, dtype=dtype)).sum().backward()
            (ref * torch.tensor(w, dtype=getattr(torch, dtype))).sum().backward()
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-7, err_msg=name)
