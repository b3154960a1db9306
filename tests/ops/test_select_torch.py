"""Selection ops against torch 2.x: gather/scatter/index_*/masked_*/take/take_along_dim, sort and
friends, unique/bincount/searchsorted; values, indices and gradients (to input and to src), in-place
forms, and the errors for bad indices."""

import numpy as np
import pytest

import gradkit as gk

from ._same_as_torch import same_as_torch

torch = pytest.importorskip("torch")


def _randn(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _idx(high, shape, seed=0):
    return np.random.default_rng(seed).integers(0, high, size=shape).astype(np.int64)


def _perm_idx(n, shape, dim, seed=0):
    """Distinct indices along ``dim`` (so scatter's result does not depend on which write wins)."""
    rng = np.random.default_rng(seed)
    moved = list(shape)
    k = moved.pop(dim)
    rows = int(np.prod(moved)) if moved else 1
    out = np.stack([rng.permutation(n)[:k] for _ in range(rows)]).reshape(*moved, k)
    return np.moveaxis(out, -1, dim).astype(np.int64)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather_matches_torch(dim):
    x = _randn((3, 4), 0)
    n = x.shape[dim]
    for ishape in ((3, 4), (2, 3), (1, 1), (0, 4)):
        if dim in (1, -1):
            ishape = (min(ishape[0], 3), ishape[1] + 2)
        idx = _idx(n, ishape, 1)
        same_as_torch(lambda t, i: t.gather(dim, i), lambda t, i: t.gather(dim, i), [x, idx])
    same_as_torch(lambda t, i: gk.gather(t, 0, i), lambda t, i: torch.gather(t, 0, i), [np.array(2.0), np.array(0)])


@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter:UserWarning")
@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_family_matches_torch(dim):
    x, src = _randn((4, 5), 0), _randn((4, 5), 1)
    ishape = (3, 2) if dim == 0 else (4, 3)
    uniq = _perm_idx(x.shape[dim], ishape, dim, 2)
    rep = _idx(x.shape[dim], ishape, 3)
    # a src larger than index is read in its leading corner (torch's own gradient then fails on the shape)
    same_as_torch(lambda a, i, s: a.scatter(dim, i, s), lambda a, i, s: a.scatter(dim, i, s), [x, uniq, src], grad=False)
    same_as_torch(lambda a, i, s: a.scatter_add(dim, i, s), lambda a, i, s: a.scatter_add(dim, i, s), [x, rep, src],
                  grad=False)
    src = src[:ishape[0], :ishape[1]]
    same_as_torch(lambda a, i, s: a.scatter(dim, i, s), lambda a, i, s: a.scatter(dim, i, s), [x, uniq, src])
    same_as_torch(lambda a, i: a.scatter(dim, i, 2.5), lambda a, i: a.scatter(dim, i, 2.5), [x, uniq])
    same_as_torch(lambda a, i, s: a.scatter_add(dim, i, s), lambda a, i, s: a.scatter_add(dim, i, s), [x, rep, src])
    same_as_torch(lambda a, i, s: a.scatter(dim, i, s, reduce="add"), lambda a, i, s: a.scatter(dim, i, s, reduce="add"),
                  [x, rep, src], grad=False)
    for how in ("sum", "prod", "mean", "amax", "amin"):
        for inc in (True, False):
            same_as_torch(lambda a, i, s: a.scatter_reduce(dim, i, s, how, include_self=inc),
                          lambda a, i, s: a.scatter_reduce(dim, i, s, how, include_self=inc), [x, rep, src])


def test_scatter_reduce_prod_gradient_with_zeros_and_ties_in_amax():
    x = np.array([1.0, 0.0, 2.0, 3.0])
    src = np.array([0.0, 4.0, 5.0, 0.0, 2.0])
    idx = np.array([0, 0, 2, 3, 3])
    for inc in (True, False):
        same_as_torch(lambda a, i, s: a.scatter_reduce(0, i, s, "prod", include_self=inc),
                      lambda a, i, s: a.scatter_reduce(0, i, s, "prod", include_self=inc), [x, idx, src])
    x, src = np.array([5.0, 1.0, 2.0]), np.array([5.0, 5.0, 0.5])
    for how in ("amax", "amin"):
        same_as_torch(lambda a, i, s: a.scatter_reduce(0, i, s, how), lambda a, i, s: a.scatter_reduce(0, i, s, how),
                      [x, np.array([0, 0, 1]), src])


def test_index_ops_match_torch():
    x = _randn((4, 3), 0)
    for dim in (0, 1, -1):
        n = x.shape[dim]
        idx = _idx(n, (5,), 1)
        uniq = np.random.default_rng(2).permutation(n)[:2]
        src_shape = list(x.shape)
        src_shape[dim] = len(idx)
        src = _randn(tuple(src_shape), 3)
        same_as_torch(lambda t, i: t.index_select(dim, i), lambda t, i: t.index_select(dim, i), [x, idx])
        same_as_torch(lambda t, i, s: t.index_add(dim, i, s, alpha=-1.5),
                      lambda t, i, s: t.index_add(dim, i, s, alpha=-1.5), [x, idx, src])
        src_shape[dim] = 2
        src2 = _randn(tuple(src_shape), 4)
        same_as_torch(lambda t, i, s: t.index_copy(dim, i, s), lambda t, i, s: t.index_copy(dim, i, s), [x, uniq, src2])
        same_as_torch(lambda t, i: t.index_fill(dim, i, -7.0), lambda t, i: t.index_fill(dim, i, -7.0), [x, idx])
    same_as_torch(lambda t, i, v: t.index_fill(1, i, v), lambda t, i, v: t.index_fill(1, i, v),
                  [x, np.array([2, 0, 2]), np.array(-0.5)])
    same_as_torch(lambda t, i: t.index_select(0, i), lambda t, i: t.index_select(0, i), [x, np.array(2)])
    same_as_torch(lambda t, i: t.index_select(0, i), lambda t, i: t.index_select(0, i), [x, np.zeros(0, np.int64)])


def test_masked_ops_match_torch():
    x = _randn((3, 4), 0)
    mask = np.random.default_rng(1).random((3, 4)) > 0.5
    row = np.array([True, False, True, True])
    src = _randn((3, 5), 2)
    for m in (mask, row, np.zeros((3, 4), bool)):
        same_as_torch(lambda t, mm: t.masked_fill(mm, 0.25), lambda t, mm: t.masked_fill(mm, 0.25), [x, m])
        same_as_torch(lambda t, mm: t.masked_select(mm), lambda t, mm: t.masked_select(mm), [x, m])
        same_as_torch(lambda t, mm, s: t.masked_scatter(mm, s), lambda t, mm, s: t.masked_scatter(mm, s), [x, m, src])
    # masked_select broadcasts the input to the mask too
    same_as_torch(lambda t, mm: gk.masked_select(t, mm), lambda t, mm: torch.masked_select(t, mm),
                  [_randn((4,), 3), mask])
    # a 0-d tensor value receives the gradient of the filled places
    same_as_torch(lambda t, v: t.masked_fill(gk.tensor(mask), v), lambda t, v: t.masked_fill(torch.tensor(mask), v),
                  [x, np.array(1.5)])


def test_take_and_take_along_dim_match_torch():
    x = _randn((3, 4), 0)
    idx = np.array([[0, 11, -1], [5, 5, 2]])
    same_as_torch(lambda t, i: t.take(i), lambda t, i: t.take(i), [x, idx])
    same_as_torch(lambda t, i: gk.take(t, i), lambda t, i: torch.take(t, i), [x, np.array(4)])
    order = np.argsort(x, axis=1)
    for dim in (1, -1):
        same_as_torch(lambda t, i: t.take_along_dim(i, dim), lambda t, i: t.take_along_dim(i, dim), [x, order])
    same_as_torch(lambda t, i: t.take_along_dim(i), lambda t, i: t.take_along_dim(i), [x, np.array([3, 0, 11])])
    # broadcasting outside dim
    same_as_torch(lambda t, i: gk.take_along_dim(t, i, 1), lambda t, i: torch.take_along_dim(t, i, 1),
                  [x, np.array([[0, 2]])])


def test_where_method_matches_torch():
    x, y = _randn((3, 4), 0), _randn((4,), 1)
    c = x > 0
    same_as_torch(lambda a, b: a.where(gk.tensor(c), b), lambda a, b: a.where(torch.tensor(c), b), [x, y])


def test_sort_topk_kthvalue_match_torch_without_ties():
    x = np.random.default_rng(0).permutation(60).reshape(3, 4, 5) * 0.5 - 7.0
    for dim in (0, 1, -1):
        for desc in (False, True):
            same_as_torch(lambda t: t.sort(dim, desc), lambda t: t.sort(dim, desc), [x])
            same_as_torch(lambda t: t.argsort(dim, desc), lambda t: t.argsort(dim, desc), [x])
        for k in (1, 3):
            for largest in (True, False):
                same_as_torch(lambda t: t.topk(k, dim, largest), lambda t: t.topk(k, dim, largest), [x])
            same_as_torch(lambda t: t.kthvalue(k, dim, True), lambda t: t.kthvalue(k, dim, True), [x])
    same_as_torch(lambda t: t.msort(), lambda t: t.msort(), [x])
    same_as_torch(lambda t: t.topk(0), lambda t: t.topk(0), [x])


def test_stable_sort_with_ties_matches_torch():
    x = np.array([[2.0, 1.0, 2.0, 1.0, np.nan, 0.0], [3.0, 3.0, 3.0, -1.0, 3.0, -1.0]])
    for desc in (False, True):
        same_as_torch(lambda t: t.sort(dim=1, descending=desc, stable=True),
                      lambda t: t.sort(dim=1, descending=desc, stable=True), [x])
    # at ties torch's topk/kthvalue/median(dim) index is unspecified: the values agree, and the gradient
    # goes to one of the tied elements (here the first in sorted order)
    for f in (lambda t: t.topk(3).values, lambda t: t.kthvalue(2).values, lambda t: t.median(1).values):
        same_as_torch(f, f, [x[1:]], grad=False)
    g = gk.tensor(x[1:], requires_grad=True)
    g.topk(3).values.sum().backward()
    assert g.grad.tolist() == [[1.0, 1.0, 1.0, 0.0, 0.0, 0.0]]


def test_unique_family_matches_torch():
    x = np.array([[3, 1, 3], [2, 1, 3], [3, 1, 3]])
    for kw in ({}, {"return_inverse": True}, {"return_counts": True}, {"return_inverse": True, "return_counts": True}):
        same_as_torch(lambda t: t.unique(**kw), lambda t: t.unique(**kw), [x], grad=False)
        same_as_torch(lambda t: t.unique(dim=0, **kw), lambda t: t.unique(dim=0, **kw), [x], grad=False)
        same_as_torch(lambda t: t.unique_consecutive(**kw), lambda t: t.unique_consecutive(**kw), [x], grad=False)
        for d in (0, 1):
            same_as_torch(lambda t: t.unique_consecutive(dim=d, **kw), lambda t: t.unique_consecutive(dim=d, **kw),
                          [x], grad=False)
    same_as_torch(lambda t: gk.unique(t), lambda t: torch.unique(t), [np.array([2.5, -1.0, 2.5])], grad=False)


def test_bincount_searchsorted_bucketize_match_torch():
    x = np.array([0, 4, 1, 1, 4, 4])
    w = np.array([0.5, 1.0, 2.0, -1.0, 3.0, 1.0])
    same_as_torch(lambda t: t.bincount(), lambda t: t.bincount(), [x], grad=False)
    same_as_torch(lambda t: t.bincount(minlength=8), lambda t: t.bincount(minlength=8), [x], grad=False)
    same_as_torch(lambda t, ww: t.bincount(ww), lambda t, ww: t.bincount(ww), [x, w], grad=False)
    same_as_torch(lambda t: t.bincount(), lambda t: t.bincount(), [np.zeros(0, np.int64)], grad=False)
    seq, vals = np.array([1.0, 3.0, 3.0, 7.0]), np.array([[3.0, 0.0], [8.0, 7.0]])
    for right in (False, True):
        same_as_torch(lambda s, v: gk.searchsorted(s, v, right=right), lambda s, v: torch.searchsorted(s, v, right=right),
                      [seq, vals], grad=False)
        same_as_torch(lambda v, b: gk.bucketize(v, b, right=right), lambda v, b: torch.bucketize(v, b, right=right),
                      [vals, seq], grad=False)
    seq2 = np.sort(_randn((2, 5), 1), axis=1)
    same_as_torch(lambda s, v: gk.searchsorted(s, v, side="right"), lambda s, v: torch.searchsorted(s, v, side="right"),
                  [seq2, _randn((2, 3), 2)], grad=False)
    got = gk.searchsorted(gk.tensor(seq), 3.0, out_int32=True)
    assert got.dtype == np.int32 and got.shape == () and got.item() == 1


def test_inplace_forms_write_into_the_tensor_and_keep_the_graph():
    base = _randn((3, 4), 0)
    idx = np.array([[0, 1, 2, 0]])
    src = _randn((1, 4), 1)
    x = gk.tensor(base.copy())
    view = x.data
    assert x.scatter_(0, gk.tensor(idx), gk.tensor(src)) is x
    want = torch.tensor(base).scatter_(0, torch.tensor(idx), torch.tensor(src)).numpy()
    np.testing.assert_array_equal(x.numpy(), want)
    np.testing.assert_array_equal(view.numpy(), want)  # same storage, as torch
    for name, args in (("index_add_", (0, gk.tensor([2]), gk.ones(1, 4, dtype="float64"))), ("index_fill_", (1, gk.tensor([0]), 2.0)),
                       ("masked_fill_", (gk.tensor(base > 0), 0.0)), ("scatter_add_", (0, gk.tensor(idx), gk.tensor(src))),
                       ("index_copy_", (0, gk.tensor([1]), gk.zeros(1, 4, dtype="float64"))),
                       ("masked_scatter_", (gk.tensor(base > 0), gk.ones(12, dtype="float64"))),
                       ("scatter_reduce_", (0, gk.tensor(idx), gk.tensor(src), "amax"))):
        g, t = gk.tensor(base.copy()), torch.tensor(base.copy())
        getattr(g, name)(*args)
        targs = [torch.tensor(a.numpy()) if isinstance(a, gk.Tensor) else a for a in args]
        getattr(t, name)(*targs)
        np.testing.assert_array_equal(g.numpy(), t.numpy())
    # on a non-leaf in the graph: the gradient flows through the in-place op to both inputs
    a = gk.tensor(base.copy(), requires_grad=True)
    s = gk.tensor(src.copy(), requires_grad=True)
    y = a * 2
    y.scatter_(0, gk.tensor(idx), s)
    (y * y).sum().backward()
    ta = torch.tensor(base.copy(), requires_grad=True)
    ts = torch.tensor(src.copy(), requires_grad=True)
    ty = ta * 2
    ty.scatter_(0, torch.tensor(idx), ts)
    (ty * ty).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(s.grad.numpy(), ts.grad.numpy())
    leaf = gk.tensor(base.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.index_fill_(0, gk.tensor([0]), 1.0)


def test_out_argument_writes_the_result():
    x = gk.tensor(_randn((3, 4), 0))
    out = gk.zeros(3, 4, dtype="float64")
    assert gk.cumsum(x, 1, out=out) is out
    np.testing.assert_allclose(out.numpy(), np.cumsum(x.numpy(), 1))
    v, i = gk.zeros(2, dtype="float64"), gk.zeros(2, dtype="int64")
    res = gk.topk(gk.tensor([1.0, 4.0, 2.0]), 2, out=(v, i))
    assert res.values is v and v.tolist() == [4.0, 2.0] and i.tolist() == [1, 2]
    out2 = gk.zeros(1, dtype="float64")
    gk.gather(x, 1, gk.tensor([[0], [1], [2]]), out=out2)  # resized, as torch
    assert out2.shape == (3, 1)
