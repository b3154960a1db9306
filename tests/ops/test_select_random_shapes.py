"""Random shapes (0-d, empty and size-1 dims included) against torch: reductions, scans, gather/scatter,
sort/topk, and the broadcasting ops (take_along_dim, masked_select)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ._same_as_torch import same_as_torch

torch = pytest.importorskip("torch")

_shape = st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple)


def _distinct(shape, seed):
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) * 0.37 - 1.0


@pytest.mark.filterwarnings("ignore:var.*degrees of freedom:UserWarning")  # torch's, for an empty var
@settings(max_examples=60, deadline=None)
@given(shape=_shape, seed=st.integers(0, 10_000), keep=st.booleans(), pick=st.integers(0, 100))
def test_reductions_and_scans_on_random_shapes(shape, seed, keep, pick):
    x = _distinct(shape, seed)
    nd = len(shape)
    dim = (pick % max(nd, 1)) - (pick % 2) * max(nd, 1) if nd else -(pick % 2)
    has_size = nd == 0 or x.size > 0
    ops = [lambda t: t.sum(dim, keepdim=keep), lambda t: t.mean(dim, keepdim=keep), lambda t: t.cumsum(dim),
           lambda t: t.cumprod(dim), lambda t: t.logcumsumexp(dim), lambda t: t.sort(dim, descending=keep),
           lambda t: t.prod(dim, keepdim=keep), lambda t: t.norm(dim=dim, keepdim=keep),
           lambda t: t.var(dim, keepdim=keep, correction=0)]
    if has_size:
        ops += [lambda t: t.max(dim, keepdim=keep), lambda t: t.amin(dim, keepdim=keep),
                lambda t: t.logsumexp(dim, keepdim=keep), lambda t: t.median(dim, keepdim=keep),
                lambda t: t.cummax(dim), lambda t: t.topk(1, dim)]
    for f in ops:
        same_as_torch(f, f, [x], rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), seed=st.integers(0, 10_000),
       shrink=st.lists(st.integers(0, 3), min_size=3, max_size=3), pick=st.integers(0, 100))
def test_gather_scatter_on_random_shapes(shape, seed, shrink, pick):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    dim = pick % len(shape)
    ishape = tuple(max(0, s - k) if d != dim else rng.integers(0, 5) for d, (s, k) in enumerate(zip(shape, shrink)))
    idx = rng.integers(0, shape[dim], size=ishape).astype(np.int64)
    src = rng.standard_normal(ishape)
    same_as_torch(lambda t, i: t.gather(dim, i), lambda t, i: t.gather(dim, i), [x, idx])
    same_as_torch(lambda t, i, s: t.scatter_add(dim, i, s), lambda t, i, s: t.scatter_add(dim, i, s), [x, idx, src])
    same_as_torch(lambda t, i, s: t.scatter_reduce(dim, i, s, "mean"), lambda t, i, s: t.scatter_reduce(dim, i, s, "mean"),
                  [x, idx, src])
    flat = rng.integers(0, shape[dim], size=(ishape[dim],)).astype(np.int64)
    same_as_torch(lambda t, i: t.index_select(dim, i), lambda t, i: t.index_select(dim, i), [x, flat])


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), ones=st.lists(st.booleans(), min_size=3,
       max_size=3), seed=st.integers(0, 10_000))
def test_broadcasting_selection_on_random_shapes(shape, ones, seed):
    rng = np.random.default_rng(seed)
    other = tuple(1 if o else s for s, o in zip(shape, ones))
    x = rng.standard_normal(other)
    mask = rng.random(shape) > 0.5
    same_as_torch(lambda t, m: t.masked_select(m), lambda t, m: t.masked_select(m), [x, mask])
    same_as_torch(lambda t, m: t.masked_fill(m[tuple(slice(0, s) for s in other)], 0.5),
                  lambda t, m: t.masked_fill(m[tuple(slice(0, s) for s in other)], 0.5), [x, mask])
    dim = len(shape) - 1
    idx = rng.integers(0, other[dim], size=shape).astype(np.int64)
    same_as_torch(lambda t, i: t.take_along_dim(i, dim), lambda t, i: t.take_along_dim(i, dim), [x, idx])
