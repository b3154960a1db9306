"""Sampling functions: gk.normal, gk.bernoulli, gk.poisson, gk.multinomial (values, dtypes, seeds)."""

import numpy as np
import pytest

import gradkit as gk


def test_they_are_gradkits_functions():
    for name in ("normal", "bernoulli", "poisson", "multinomial"):
        assert getattr(gk, name) is getattr(gk.creation, name)


def test_normal_forms_dtypes_and_moments():
    gk.manual_seed(0)
    a = gk.normal(2.0, 0.5, (20_000,))
    assert a.dtype is gk.float32 and abs(a.numpy().mean() - 2) < 0.02 and abs(a.numpy().std() - 0.5) < 0.02
    b = gk.normal(gk.tensor([0.0, 100.0], dtype=gk.float64), gk.tensor([1e-9, 1e-9], dtype=gk.float64))
    assert b.dtype is gk.float64 and np.allclose(b.numpy(), [0, 100])
    c = gk.normal(gk.zeros(3, 1), gk.ones(4))
    assert c.shape == (3, 4) and not c.requires_grad
    assert gk.normal(0.0, 1.0, (2,), dtype=gk.float64).dtype is gk.float64
    with pytest.raises(ValueError, match="non-negative"):
        gk.normal(gk.zeros(2), -1.0)
    torch = pytest.importorskip("torch")
    assert tuple(torch.normal(torch.zeros(3, 1), torch.ones(4)).shape) == c.shape
    assert str(torch.normal(2.0, 0.5, (2,)).dtype) == f"torch.{a.dtype}"


def test_bernoulli_and_poisson():
    gk.manual_seed(0)
    p = gk.full((20_000,), 0.3, dtype=gk.float64)
    b = gk.bernoulli(p)
    assert b.dtype is gk.float64 and set(np.unique(b.numpy())) == {0.0, 1.0} and abs(b.numpy().mean() - 0.3) < 0.02
    assert abs(gk.bernoulli(gk.zeros(20_000), 0.7).numpy().mean() - 0.7) < 0.02
    r = gk.poisson(gk.full((20_000,), 4.0))
    assert r.dtype is gk.float32 and abs(r.numpy().mean() - 4) < 0.1
    with pytest.raises(ValueError, match="\\[0, 1\\]"):
        gk.bernoulli(gk.tensor([1.5]))
    with pytest.raises(ValueError, match="non-negative"):
        gk.poisson(gk.tensor([-1.0]))


def test_multinomial_with_and_without_replacement():
    gk.manual_seed(0)
    w = gk.tensor([[0.0, 1.0, 3.0], [5.0, 0.0, 0.0]])
    s = gk.multinomial(w, 4000, replacement=True)
    assert s.dtype is gk.int64 and s.shape == (2, 4000)
    assert set(s[1].tolist()) == {0} and 0 not in s[0].tolist() and abs((s[0].numpy() == 2).mean() - 0.75) < 0.03
    perm = gk.multinomial(gk.ones(5), 5)
    assert sorted(perm.tolist()) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="without replacement"):
        gk.multinomial(w, 3)
    with pytest.raises(ValueError, match="no positive weight"):
        gk.multinomial(gk.zeros(3), 1, replacement=True)
    torch = pytest.importorskip("torch")
    assert tuple(torch.multinomial(torch.ones(2, 3), 2).shape) == gk.multinomial(gk.ones(2, 3), 2).shape


def test_sampling_reproduces_with_manual_seed():
    def draw():
        gk.manual_seed(3)
        return [gk.normal(0.0, 1.0, (3,)), gk.normal(gk.zeros(3), 1.0), gk.bernoulli(gk.full((5,), 0.5)),
                gk.poisson(gk.ones(3)), gk.multinomial(gk.ones(4), 2)]
    for a, b in zip(draw(), draw()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
