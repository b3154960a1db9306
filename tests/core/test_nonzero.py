"""nonzero / argwhere: torch's semantics (int64 (n, ndim) or a tuple of 1-d tensors), no gradient."""

import numpy as np
import pytest

import gradkit as gk

CASES = [
    np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -3.0]], dtype=np.float32),
    np.array([0, 3, 0, 4], dtype=np.int64),
    np.array([[True, False], [False, True]]),
    np.zeros((0, 3), dtype=np.float32),
    np.zeros((2, 3), dtype=np.float32),
    np.array(5.0, dtype=np.float32),
    np.array(0.0, dtype=np.float32),
    (np.arange(24).reshape(2, 3, 4) % 5 == 0),
    np.array([np.nan, 0.0, -0.0, np.inf], dtype=np.float64),
]


def test_values_and_dtypes():
    x = gk.tensor([[0.0, 1.5], [2.0, 0.0]])
    idx = x.nonzero()
    assert idx.dtype == np.int64 and idx.shape == (2, 2)
    assert idx.tolist() == [[0, 1], [1, 0]]
    rows, cols = x.nonzero(as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0] and rows.dtype == np.int64
    assert x[x.nonzero(as_tuple=True)].tolist() == [1.5, 2.0]
    assert gk.argwhere(x).tolist() == x.argwhere().tolist() == gk.nonzero(x).tolist()


def test_error_analysis_idiom():
    logits = gk.tensor([[2.0, 0.1], [0.1, 2.0], [3.0, 0.0]])
    y = gk.tensor([0, 0, 1])
    wrong = (logits.argmax(1) != y).nonzero(as_tuple=True)[0]
    assert wrong.tolist() == [1, 2]
    assert (logits.argmax(1) != y).nonzero()[:, 0].tolist() == [1, 2]


def test_no_gradient_even_from_a_leaf_that_requires_grad():
    w = gk.tensor([0.0, 1.0, 2.0], requires_grad=True)
    assert not w.nonzero().requires_grad
    assert not any(t.requires_grad for t in w.nonzero(as_tuple=True))


def test_as_tuple_must_be_a_bool():
    with pytest.raises(TypeError, match="as_tuple must be a bool"):
        gk.nonzero(gk.tensor([1.0]), as_tuple="yes")


@pytest.mark.parametrize("i", range(len(CASES)))
def test_against_torch(i):
    torch = pytest.importorskip("torch")
    a = CASES[i]
    t, g = torch.from_numpy(np.array(a)), gk.tensor(a)
    want = torch.nonzero(t).numpy()
    got = g.nonzero()
    assert got.dtype == np.int64 and got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)
    want_t = torch.nonzero(t, as_tuple=True)
    got_t = g.nonzero(as_tuple=True)
    assert isinstance(got_t, tuple) and len(got_t) == len(want_t)
    for gt_, wt in zip(got_t, want_t):
        assert gt_.dtype == np.int64 and gt_.shape == tuple(wt.shape)
        np.testing.assert_array_equal(gt_.numpy(), wt.numpy())
    wa = torch.argwhere(t).numpy()
    assert gk.argwhere(g).shape == wa.shape
    np.testing.assert_array_equal(gk.argwhere(g).numpy(), wa)
