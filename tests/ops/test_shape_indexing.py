"""Indexing ``x[...]`` and ``setitem`` give PyTorch's shapes, values and gradients (a table of index
expressions mixing integers, slices, None, Ellipsis, integer tensors, lists and boolean masks)."""

import numpy as np
import pytest

import gradkit as gk
from gradkit import ops

torch = pytest.importorskip("torch")

SHAPE = (2, 3, 4, 5, 6)
I = np.array([0, 1, 1])
J = np.array([[0], [1]])
M3 = np.array([True, False, True])
M23 = np.array([[True, False, True], [False, False, True]])
S = slice(None)

CASES = [
    (1, S, slice(0, 4, 2), I, slice(0, 2)),
    (I, S, I),
    (1, S, I),
    (I, 1, I),
    (S, 1, S, I),
    (None, I, None, I),
    (I, None, I),
    (Ellipsis, I, 1),
    (1, Ellipsis, I),
    (J, S, I),
    (np.array(1), S, I),
    (I, S, np.array(1)),
    (S, M3, S, np.array([0, 2])),
    (1, M3, 0, np.array([0, 2])),
    (True,),
    (False,),
    (S, None, 1, I, None),
    (0, I, 1, J),
    (I,),
    ([0, 1],),
    (S, [2, 0, 2]),
    (M23,),
    (M23, I[:3]),
    (Ellipsis, [0, 5]),
    (Ellipsis, 2, [0, 5]),
    (1, 2, I),
    (1, [0, 2], 3, [1, 1]),
    (S, S, S, S, I),
    (-1, I, slice(None, None, -1) if False else slice(1, None), I, -2),
    (I, slice(1, 3), 2),
    (1, 1, 1, 1, 1),
    (1, None),
    (None, Ellipsis, None),
    (slice(None, None, 2), Ellipsis, 3),
    (np.array([], dtype=np.int64),),
    (S, np.array([], dtype=np.int64), 1),
    (np.zeros(2, bool),),
    (0, np.array([True, True, False]), S, 4),
    (1, S, np.array([[0, 1], [2, 3]]), S, 0),
    (S, 0, np.array([[0, 1], [2, 3]]), S, np.array([1, 2])),
    (np.array([1, 0]), 2, S, np.array([4, 0])),
]


def _gk_index(c):
    return tuple(gk.tensor(a) if isinstance(a, np.ndarray) and a.ndim > 0 else a for a in c)


def _torch_index(c):
    return tuple(torch.tensor(a) if isinstance(a, np.ndarray) else a for a in c)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_getitem_matches_torch_values_and_gradients(case):
    c = CASES[case]
    base = np.random.default_rng(case).standard_normal(SHAPE)
    tx = torch.tensor(base, requires_grad=True)
    want = tx[_torch_index(c)]
    x = gk.tensor(base, requires_grad=True)
    got = x[_gk_index(c)]
    assert got.shape == tuple(want.shape), c
    np.testing.assert_array_equal(got.numpy(), want.detach().numpy())
    w = np.random.default_rng(1).standard_normal(tuple(want.shape))
    (want * torch.tensor(w)).sum().backward()
    (got * gk.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("case", range(len(CASES)))
def test_setitem_matches_torch(case):
    c = CASES[case]
    base = np.random.default_rng(case).standard_normal(SHAPE)
    t = torch.tensor(base)
    shape = tuple(t[_torch_index(c)].shape)
    if any(isinstance(a, np.ndarray) and a.dtype.kind in "iu" and a.ndim and len(np.unique(a)) < a.size for a in c):
        value = 7.0  # repeated indices: which write wins is unspecified; a scalar is well defined
    else:
        value = np.random.default_rng(2).standard_normal(shape[1:])  # broadcast over the first dim
    t[_torch_index(c)] = torch.tensor(value) if isinstance(value, np.ndarray) else value
    x = gk.tensor(base)
    ops.setitem(x, _gk_index(c), gk.tensor(value) if isinstance(value, np.ndarray) else value)
    np.testing.assert_array_equal(x.numpy(), t.numpy())


def test_index_gradient_accumulates_repeats_and_second_order():
    x = gk.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[gk.tensor([0, 0, 2])] ** 2
    (g,) = gk.autograd.grad(y.sum(), [x], create_graph=True)
    assert g.tolist() == [4.0, 0.0, 6.0]
    g.sum().backward()
    assert x.grad.tolist() == [4.0, 0.0, 2.0]


def test_index_errors_name_the_shape():
    x = gk.zeros(2, 3)
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        x[5]
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        x[gk.tensor([0, 1]), gk.tensor([0, 1, 2])]
    with pytest.raises(RuntimeError, match="setitem"):
        ops.setitem(x, (slice(None),), gk.zeros(4))


def _random_index(draw, st, shape):
    """An index for ``shape``: one item per dimension (int, slice, int array or bool mask), ``None``s
    inserted anywhere, and maybe a run of items replaced by one Ellipsis."""
    items = []
    for n in shape:
        kind = draw(st.sampled_from(["int", "slice", "array", "mask"] if n else ["slice", "array", "mask"]))
        if kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "array":
            vals = draw(st.lists(st.integers(-n, n - 1), max_size=3)) if n else []
            items.append(np.array(vals, dtype=np.int64))
        elif kind == "mask":
            items.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool))
        else:
            lo, hi = draw(st.integers(-n - 1, n + 1)), draw(st.integers(-n - 1, n + 1))
            items.append(slice(lo, hi, draw(st.integers(1, 3))))
    items = items[: draw(st.integers(0, len(items)))]  # trailing dimensions may be left out
    if draw(st.booleans()):
        a = draw(st.integers(0, len(items)))
        b = draw(st.integers(a, len(items)))
        items[a:b] = [Ellipsis]
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    return tuple(items)


def test_random_indices_match_torch():
    hyp = pytest.importorskip("hypothesis")
    st = hyp.strategies

    @hyp.settings(max_examples=300, deadline=None, derandomize=True)
    @hyp.given(st.data())
    def check(data):
        shape = tuple(data.draw(st.lists(st.integers(0, 4), min_size=1, max_size=4)))
        index = _random_index(data.draw, st, shape)
        base = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
        try:
            want = torch.tensor(base)[_torch_index(index)]
        except (IndexError, RuntimeError, ValueError):
            with pytest.raises((IndexError, RuntimeError, ValueError)):
                gk.tensor(base)[_gk_index(index)]
            return
        x = gk.tensor(base, requires_grad=True)
        got = x[_gk_index(index)]
        assert got.shape == tuple(want.shape), (shape, index)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        got.sum().backward()
        tx = torch.tensor(base, requires_grad=True)
        tx[_torch_index(index)].sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
        t, y = torch.tensor(base), gk.tensor(base)
        t[_torch_index(index)] = -1.0
        ops.setitem(y, _gk_index(index), -1.0)
        np.testing.assert_array_equal(y.numpy(), t.numpy())

    check()
