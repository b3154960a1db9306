"""Embedding: lookup, accumulated gradients of repeated ids, the padding row, errors, gradcheck."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.diagnose import gradcheck
from gradkit.diagnose.gradcheck import gradgradcheck
from gradkit.nn.embedding import embedding


def test_lookup_and_init():
    emb = gk.nn.Embedding(1000, 16)
    w = emb.weight.numpy()
    assert w.dtype == np.float32 and abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02  # N(0, 1)
    ids = gk.tensor([[3, 7], [7, 999]])
    out = emb(ids)
    assert out.shape == (2, 2, 16)
    np.testing.assert_array_equal(out.numpy()[1, 0], w[7])


def test_repeated_ids_accumulate_and_padding_gets_no_gradient():
    emb = gk.nn.Embedding(5, 2, padding_idx=-1)  # the last row
    assert emb.padding_idx == 4 and np.all(emb.weight.numpy()[4] == 0)
    out = emb(gk.tensor([1, 1, 1, 4, 2]))
    (out * gk.tensor([[1.0, 2.0]])).sum().backward()
    g = emb.weight.grad.numpy()
    np.testing.assert_array_equal(g, [[0, 0], [3, 6], [1, 2], [0, 0], [0, 0]])


def test_gradcheck_and_double_backward(rng):
    w = gk.tensor(rng.standard_normal((6, 3)), dtype="float64", requires_grad=True)
    ids = np.array([[0, 2, 2], [5, 1, 0]])
    res = gradcheck(lambda w: embedding(ids, w) ** 2, [w])  # (the padding row is exempt by design)
    assert res.passed, str(res)
    assert gradgradcheck(lambda w: (embedding(ids, w) ** 3).sum(), [w]).passed


def test_errors_name_the_range():
    emb = gk.nn.Embedding(10, 4)
    with pytest.raises(IndexError, match=r"\[0, 9\].*from 0 to 10"):
        emb(gk.tensor([0, 10]))
    with pytest.raises(TypeError, match="integer ids"):
        emb(gk.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        gk.nn.Embedding(10, 4, padding_idx=10)


def test_from_pretrained_freezes_by_default():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    emb = gk.nn.Embedding.from_pretrained(table)
    assert not emb.weight.requires_grad
    np.testing.assert_array_equal(emb(gk.tensor([2])).numpy(), table[2:3])
    assert gk.nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    assert list(emb.state_dict()) == ["weight"]
