"""Reductions, norms and scans against torch 2.x: values, indices and gradients on random shapes,
0-d and empty inputs, and the small cases where PyTorch's answer is NaN or an error."""

import warnings

import numpy as np
import pytest

import gradkit as gk

from ._same_as_torch import same_as_torch

torch = pytest.importorskip("torch")


def _distinct(shape, seed=0):
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n).reshape(shape) * 0.37 - 1.0).astype(np.float64)


def _randn(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


SHAPES = [(), (1,), (5,), (3, 4), (2, 3, 4)]

# name -> (gradkit fn, torch fn) of one tensor; every one is run on every shape and each valid dim
REDUCTIONS = {
    "sum": (lambda x, d, k: x.sum(d, keepdim=k), lambda x, d, k: x.sum(d, keepdim=k)),
    "mean": (lambda x, d, k: x.mean(d, keepdim=k), lambda x, d, k: x.mean(d, keepdim=k)),
    "var": (lambda x, d, k: x.var(d, keepdim=k), lambda x, d, k: x.var(d, keepdim=k)),
    "var_c0": (lambda x, d, k: x.var(d, keepdim=k, correction=0), lambda x, d, k: x.var(d, keepdim=k, correction=0)),
    "std": (lambda x, d, k: x.std(d, keepdim=k), lambda x, d, k: x.std(d, keepdim=k)),
    "amax": (lambda x, d, k: x.amax(d, keepdim=k), lambda x, d, k: x.amax(d, keepdim=k)),
    "amin": (lambda x, d, k: x.amin(d, keepdim=k), lambda x, d, k: x.amin(d, keepdim=k)),
    "logsumexp": (lambda x, d, k: x.logsumexp(d, keepdim=k), lambda x, d, k: x.logsumexp(d, keepdim=k)),
    "prod": (lambda x, d, k: x.prod(d, keepdim=k), lambda x, d, k: x.prod(d, keepdim=k)),
    "max_dim": (lambda x, d, k: x.max(d, keepdim=k), lambda x, d, k: x.max(d, keepdim=k)),
    "min_dim": (lambda x, d, k: x.min(d, keepdim=k), lambda x, d, k: x.min(d, keepdim=k)),
    "argmax": (lambda x, d, k: x.argmax(d, keepdim=k), lambda x, d, k: x.argmax(d, keepdim=k)),
    "argmin": (lambda x, d, k: x.argmin(d, keepdim=k), lambda x, d, k: x.argmin(d, keepdim=k)),
    "median_dim": (lambda x, d, k: x.median(d, keepdim=k), lambda x, d, k: x.median(d, keepdim=k)),
    "nanmedian_dim": (lambda x, d, k: x.nanmedian(d, keepdim=k), lambda x, d, k: x.nanmedian(d, keepdim=k)),
    "mode": (lambda x, d, k: x.mode(d, keepdim=k), lambda x, d, k: x.mode(d, keepdim=k)),
    "kthvalue_1": (lambda x, d, k: x.kthvalue(1, d, keepdim=k), lambda x, d, k: x.kthvalue(1, d, keepdim=k)),
    "norm2": (lambda x, d, k: x.norm(dim=d, keepdim=k), lambda x, d, k: x.norm(dim=d, keepdim=k)),
    "norm1": (lambda x, d, k: x.norm(1, d, k), lambda x, d, k: x.norm(1, d, k)),
    "norm3": (lambda x, d, k: x.norm(3, d, k), lambda x, d, k: x.norm(3, d, k)),
    "norm_half": (lambda x, d, k: x.norm(0.5, d, k), lambda x, d, k: x.norm(0.5, d, k)),
    "norm_inf": (lambda x, d, k: x.norm(float("inf"), d, k), lambda x, d, k: x.norm(float("inf"), d, k)),
    "norm_ninf": (lambda x, d, k: x.norm(-float("inf"), d, k), lambda x, d, k: x.norm(-float("inf"), d, k)),
    "norm0": (lambda x, d, k: x.norm(0, d, k), lambda x, d, k: x.norm(0, d, k)),
    "nansum": (lambda x, d, k: x.nansum(d, keepdim=k), lambda x, d, k: x.nansum(d, keepdim=k)),
    "nanmean": (lambda x, d, k: x.nanmean(d, keepdim=k), lambda x, d, k: x.nanmean(d, keepdim=k)),
    "count_nonzero": (lambda x, d, k: x.count_nonzero(d), lambda x, d, k: x.count_nonzero(d)),
    "cumsum": (lambda x, d, k: x.cumsum(d), lambda x, d, k: x.cumsum(d)),
    "cumprod": (lambda x, d, k: x.cumprod(d), lambda x, d, k: x.cumprod(d)),
    "cummax": (lambda x, d, k: x.cummax(d), lambda x, d, k: x.cummax(d)),
    "cummin": (lambda x, d, k: x.cummin(d), lambda x, d, k: x.cummin(d)),
    "logcumsumexp": (lambda x, d, k: x.logcumsumexp(d), lambda x, d, k: x.logcumsumexp(d)),
    "sort": (lambda x, d, k: x.sort(d, descending=k), lambda x, d, k: x.sort(d, descending=k)),
    "argsort": (lambda x, d, k: x.argsort(d, descending=k), lambda x, d, k: x.argsort(d, descending=k)),
    "topk2": (lambda x, d, k: x.topk(min(2, x.shape[d] if x.ndim else 1), d, largest=k),
              lambda x, d, k: x.topk(min(2, x.shape[d] if x.dim() else 1), d, largest=k)),
}
NEEDS_DIM = {"max_dim", "min_dim", "median_dim", "nanmedian_dim", "mode", "kthvalue_1", "cumsum", "cumprod",
             "cummax", "cummin", "logcumsumexp", "sort", "argsort", "topk2"}
ONE_DIM_ONLY = NEEDS_DIM | {"prod", "argmax", "argmin"}


def _dims(name, ndim):
    dims = [0, -1] if ndim == 0 else list(range(-ndim, ndim))
    if name not in NEEDS_DIM | {"logsumexp", "prod"}:  # torch needs a dim for these two with keepdim
        dims = [None, *dims]
    if name not in ONE_DIM_ONLY and ndim >= 2:
        dims.append((0, ndim - 1))
    return dims


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_reduction_matches_torch(name, shape):
    gk_fn, t_fn = REDUCTIONS[name]
    x = _distinct(shape, 3)  # no ties: indices are defined
    if name.startswith("norm"):
        x = x + 0.05  # away from 0, where |x|^p is not smooth
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: "degrees of freedom is <= 0" for var of one element
        for dim in _dims(name, len(shape)):
            for keep in (False, True):
                same_as_torch(lambda t: gk_fn(t, dim, keep), lambda t: t_fn(t, dim, keep), [x], rtol=1e-9)


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "logsumexp", "prod", "nansum", "nanmean",
                                  "count_nonzero", "norm2", "cumsum", "cumprod", "logcumsumexp", "sort", "argsort"])
def test_reduction_of_empty_matches_torch(name):
    gk_fn, t_fn = REDUCTIONS[name]
    x = np.zeros((0, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for dim in ([0, 1] if name in NEEDS_DIM | {"prod", "logsumexp"} else [None, 0, 1]):
            same_as_torch(lambda t: gk_fn(t, dim, False), lambda t: t_fn(t, dim, False), [x])


def test_full_reductions_without_dim_match_torch_on_ties():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 3.0, 0.5]])
    for f in (lambda t: t.max(), lambda t: t.min(), lambda t: t.amax(), lambda t: t.median(), lambda t: t.nanmedian(),
              lambda t: t.prod(), lambda t: t.norm(float("inf")), lambda t: t.aminmax()):
        same_as_torch(f, f, [x])


def test_prod_and_cumprod_gradients_with_zeros_match_torch():
    for x in (np.array([2.0, 0.0, 3.0, 4.0]), np.array([0.0, 2.0, 0.0, 5.0]), np.array([[1.0, 0.0], [0.0, 0.0]]),
              np.array([1.5, -2.0, 0.5, 3.0])):
        for d in range(x.ndim):
            same_as_torch(lambda t: t.prod(d), lambda t: t.prod(d), [x])
            same_as_torch(lambda t: t.cumprod(d), lambda t: t.cumprod(d), [x])
        same_as_torch(lambda t: t.prod(), lambda t: t.prod(), [x])


def test_tiny_and_degenerate_inputs_give_torchs_values_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        for f in (lambda t: t.var(), lambda t: t.std(), lambda t: t.var(0), lambda t: t.std(0, keepdim=True),
                  lambda t: t.var(correction=2)):
            same_as_torch(f, f, [np.array([1.5])])
        same_as_torch(lambda t: t.var(0, correction=2), lambda t: t.var(0, correction=2), [np.array([[1.0, 2.0]])])
        same_as_torch(lambda t: t.std(correction=0), lambda t: t.std(correction=0), [np.array([2.0, 2.0])])
        same_as_torch(lambda t: t.norm(), lambda t: t.norm(), [np.zeros(3)])
        same_as_torch(lambda t: t.norm(3), lambda t: t.norm(3), [np.zeros(3)])
        same_as_torch(lambda t: t.norm(dim=1), lambda t: t.norm(dim=1), [np.array([[0.0, 0.0], [3.0, 4.0]])])
        ninf = np.array([[-np.inf, -np.inf], [0.0, -np.inf]])
        same_as_torch(lambda t: t.logsumexp(1), lambda t: t.logsumexp(1), [ninf])
        same_as_torch(lambda t: t.logcumsumexp(1), lambda t: t.logcumsumexp(1), [ninf], grad=False)
        same_as_torch(lambda t: t.mean(1), lambda t: t.mean(1), [np.zeros((2, 0))])
        same_as_torch(lambda t: t.sum(0), lambda t: t.sum(0), [np.zeros(0)])
        same_as_torch(lambda t: t.nanmean(), lambda t: t.nanmean(), [np.array([np.nan, np.nan])])
        nan = np.array([[1.0, np.nan, 3.0], [2.0, 0.5, 1.0]])
        for f in (lambda t: t.nansum(1), lambda t: t.nanmean(1), lambda t: t.median(1), lambda t: t.nanmedian(1),
                  lambda t: t.nanmedian(), lambda t: t.cummax(1), lambda t: t.cummin(1), lambda t: t.sort(1),
                  lambda t: t.sort(1, descending=True)):
            same_as_torch(f, f, [nan])
        for f in (lambda t: t.median(), lambda t: t.max(), lambda t: t.min(), lambda t: t.amax(1), lambda t: t.aminmax(),
                  lambda t: t.max(1), lambda t: t.argmax(1), lambda t: t.topk(2, 1), lambda t: t.kthvalue(2, 1),
                  lambda t: t.quantile(0.5, 1), lambda t: t.argsort(1, descending=True), lambda t: t.prod(1)):
            same_as_torch(f, f, [nan])


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "uint8"])
def test_integer_reductions_have_torchs_dtypes(dtype):
    x = (np.arange(6).reshape(2, 3) % 3).astype(dtype)
    for f in (lambda t: t.sum(), lambda t: t.sum(1), lambda t: t.prod(), lambda t: t.prod(0), lambda t: t.cumsum(1),
              lambda t: t.cumprod(0), lambda t: t.count_nonzero(), lambda t: t.any(1), lambda t: t.all((0, 1))):
        g = f(gk.tensor(x))
        t = f(torch.tensor(x))
        assert g.dtype == np.dtype(str(t.dtype).replace("torch.", "")), (g.dtype, t.dtype)
        np.testing.assert_array_equal(g.numpy(), t.numpy())


def test_zero_dim_tensors_accept_dim_0_and_minus_1():
    x = np.array(2.5)
    for f in (lambda t, d: t.sum(d), lambda t, d: t.mean(d), lambda t, d: t.logsumexp(d), lambda t, d: t.max(d),
              lambda t, d: t.amax(d), lambda t, d: t.argmax(d), lambda t, d: t.prod(d), lambda t, d: t.cumsum(d),
              lambda t, d: t.cummax(d), lambda t, d: t.sort(d), lambda t, d: t.median(d), lambda t, d: t.norm(dim=d),
              lambda t, d: t.any(d), lambda t, d: t.std(d, correction=0)):
        for d in (0, -1):
            same_as_torch(lambda t: f(t, d), lambda t: f(t, d), [x])


def test_max_and_min_with_dim_are_namedtuples_like_torch():
    x = gk.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    r = x.max(1)
    values, indices = r
    assert r.values is values and r.indices is indices and r[0] is values
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]  # first of the tied 7s, as torch on CPU
    assert gk.min(x, dim=0).indices.tolist() == [0, 1, 0]
    mm = gk.aminmax(x, dim=1)
    assert mm.min.tolist() == [1.0, 0.0] and mm.max.tolist() == [5.0, 7.0]
    assert gk.max(x, gk.tensor(3.0)).tolist() == [[3.0, 5.0, 3.0], [7.0, 3.0, 7.0]]


def test_var_positional_unbiased_as_torch():
    x = _randn((3, 4))
    for f in (lambda t: t.var(0, False), lambda t: t.std(1, True, True), lambda t: t.var(False),
              lambda t: t.std(unbiased=False)):
        same_as_torch(f, f, [x])
    gv, gm = gk.var_mean(gk.tensor(x), 1, correction=0)
    tv, tm = torch.var_mean(torch.tensor(x), 1, correction=0)
    np.testing.assert_allclose(gv.numpy(), tv.numpy())
    np.testing.assert_allclose(gm.numpy(), tm.numpy())
    gs, _ = gk.std_mean(gk.tensor(x), (0, 1))
    np.testing.assert_allclose(gs.numpy(), torch.std_mean(torch.tensor(x), (0, 1))[0].numpy())


def test_quantile_matches_torch():
    x = _randn((4, 5), 2)
    for interp in ("linear", "lower", "higher", "midpoint", "nearest"):
        for q in (0.3, [0.0, 0.25, 0.5, 1.0]):
            for dim, keep in ((None, False), (1, False), (0, True), (None, True)):
                qq = q if isinstance(q, float) else np.array(q)

                def g(t, qq=qq, dim=dim, keep=keep, interp=interp):
                    return t.quantile(qq if isinstance(qq, float) else gk.tensor(qq), dim, keep, interpolation=interp)

                def f(t, qq=qq, dim=dim, keep=keep, interp=interp):
                    return t.quantile(qq if isinstance(qq, float) else torch.tensor(qq), dim, keep, interpolation=interp)

                same_as_torch(g, f, [x])
    xn = x.copy()
    xn[1, 2] = np.nan
    same_as_torch(lambda t: t.quantile(0.4, 1), lambda t: t.quantile(0.4, 1), [xn])
    same_as_torch(lambda t: t.nanquantile(0.4, 1), lambda t: t.nanquantile(0.4, 1), [xn])


def test_dist_and_norm_forms_match_torch():
    a, b = _randn((3, 4), 0), _randn((4,), 1)
    for p in (2, 1, 3.5, float("inf"), 0):
        same_as_torch(lambda s, t: gk.dist(s, t, p), lambda s, t: torch.dist(s, t, p), [a, b], grad=p != 0)
    x = _randn((2, 3, 4), 5)
    for f in (lambda t: t.norm(), lambda t: t.norm("fro", (1, 2)), lambda t: t.norm(p=2, dim=(0, 2), keepdim=True)):
        same_as_torch(f, f, [x])
    same_as_torch(lambda t: gk.norm(t, "fro"), lambda t: torch.norm(t, "fro"), [x])


def test_logsumexp_large_values_and_all_minus_inf_rows():
    x = np.array([[1000.0, 1000.0], [-1000.0, -1e308], [-np.inf, -np.inf]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        same_as_torch(lambda t: t.logsumexp(1), lambda t: t.logsumexp(1), [x])
        same_as_torch(lambda t: t.logcumsumexp(1), lambda t: t.logcumsumexp(1), [x[:2]])


def test_tie_indices_of_max_dim_and_cummax_match_torch_cpu():
    """torch on CPU: max/min(dim) and argmax pick the first tied element, cummax/cummin the latest."""
    x = np.array([[1.0, 3.0, 3.0, 2.0, 3.0], [2.0, 2.0, 1.0, 1.0, 2.0]])
    for f in (lambda t: t.max(1), lambda t: t.min(1), lambda t: t.argmax(1), lambda t: t.cummax(1),
              lambda t: t.cummin(1), lambda t: t.sort(dim=1, stable=True)):
        same_as_torch(f, f, [x])
