"""In-place fills (zero_, fill_, copy_, normal_, uniform_, bernoulli_, random_, ...): values, seeds, rules."""

import numpy as np
import pytest

import gradkit as gk

N = 20_000


def _stats(t):
    a = t.numpy().astype(np.float64)
    return a.mean(), a.std()


@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
def test_continuous_fills_have_their_distributions(dtype):
    gk.manual_seed(0)
    x = gk.empty(N, dtype=dtype)
    assert x.normal_(2.0, 0.5) is x and x.dtype is dtype
    m, s = _stats(x)
    assert abs(m - 2.0) < 0.02 and abs(s - 0.5) < 0.02
    u = _stats(x.uniform_(-1.0, 3.0))
    assert abs(u[0] - 1.0) < 0.05 and x.numpy().min() >= -1 and x.numpy().max() < 3
    e = x.exponential_(4.0).numpy()
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.01
    ln = np.log(x.log_normal_(0.5, 0.25).numpy().astype(np.float64))
    assert abs(ln.mean() - 0.5) < 0.01 and abs(ln.std() - 0.25) < 0.01
    c = x.cauchy_(1.0, 2.0).numpy()
    assert abs(np.median(c) - 1.0) < 0.1


@pytest.mark.parametrize("dtype", [gk.float32, gk.int64, gk.uint8, gk.bool])
def test_discrete_fills(dtype):
    gk.manual_seed(1)
    x = gk.zeros(N, dtype=dtype)
    b = x.bernoulli_(0.25).numpy().astype(np.float64)
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.25) < 0.02
    if dtype is gk.bool:
        assert set(x.random_().tolist()) == {False, True}
        return
    r = x.random_(3, 7).numpy()
    assert r.min() == 3 and r.max() == 6
    assert set(x.random_(5).tolist()) == {0, 1, 2, 3, 4}
    g = x.geometric_(0.5).numpy().astype(np.float64)
    assert g.min() >= 1 and abs(g.mean() - 2.0) < 0.1
    full = x.random_().numpy()
    top = 2 ** 24 if dtype is gk.float32 else np.iinfo(dtype).max
    assert full.min() >= 0 and full.max() <= top and full.max() > top / 2


def test_bernoulli_with_a_tensor_of_probabilities():
    p = gk.tensor([0.0, 1.0, 0.0, 1.0])
    assert gk.empty(4).bernoulli_(p).tolist() == [0.0, 1.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        gk.empty(2).bernoulli_(1.5)


def test_fills_reproduce_with_manual_seed_and_generators():
    def draw(**kw):
        return [f(gk.empty(5, dtype=gk.float64)).numpy().copy() for f in (
            lambda t: t.normal_(**kw), lambda t: t.uniform_(**kw), lambda t: t.bernoulli_(0.3, **kw),
            lambda t: t.exponential_(**kw), lambda t: t.random_(0, 100, **kw), lambda t: t.geometric_(0.2, **kw),
            lambda t: t.log_normal_(**kw), lambda t: t.cauchy_(**kw))]
    gk.manual_seed(7)
    a = draw()
    gk.manual_seed(7)
    b = draw()
    c = draw(generator=gk.Generator(7))
    d = draw(generator=gk.Generator(7))
    for x, y, z, w in zip(a, b, c, d):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(z, w)


def test_continuous_fills_refuse_integer_tensors_as_torch():
    x = gk.zeros(3, dtype=gk.int64)
    for fill in (x.normal_, x.uniform_, x.exponential_, x.log_normal_, x.cauchy_):
        with pytest.raises(RuntimeError, match="floating"):
            fill()


def test_fills_follow_the_in_place_rules():
    w = gk.zeros(3, requires_grad=True)
    for fill in (w.normal_, w.uniform_, w.zero_, lambda: w.fill_(1.0), lambda: w.bernoulli_(0.5),
                 lambda: w.random_(3), lambda: w.copy_(gk.ones(3))):
        with pytest.raises(RuntimeError, match="no_grad"):
            fill()
    with gk.no_grad():
        w.normal_().fill_(2.0)
    assert w.tolist() == [2.0, 2.0, 2.0] and w.requires_grad
    w.data.uniform_(5, 6)  # .data is cut from the graph
    assert all(5 <= v < 6 for v in w.tolist())


def test_fill_and_zero():
    x = gk.ones(2, 2)
    assert x.fill_(gk.tensor(3.5)).tolist() == [[3.5, 3.5]] * 2 and x.zero_().tolist() == [[0.0, 0.0]] * 2
    assert gk.zeros(2, dtype=gk.int32).fill_(2.9).tolist() == [2, 2]
    with pytest.raises(RuntimeError, match="one-element"):
        x.fill_(gk.ones(2))


CopyCases = [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (1, 3)), ((2, 3), ()), ((0, 3), (3,)), ((4, 3, 2), (3, 1))]


@pytest.mark.parametrize("dst_shape, src_shape", CopyCases)
def test_copy_broadcasts_the_source_as_torch(dst_shape, src_shape):
    rng = np.random.default_rng(0)
    src = rng.standard_normal(src_shape)
    dst = gk.zeros(dst_shape)
    out = dst.copy_(gk.tensor(src))
    assert out is dst and dst.dtype is gk.float32
    torch = pytest.importorskip("torch")
    want = torch.zeros(dst_shape).copy_(torch.tensor(src))
    np.testing.assert_allclose(dst.numpy(), want.numpy())


def test_copy_converts_dtype_and_refuses_shapes_torch_refuses():
    x = gk.zeros(3, dtype=gk.int32)
    x.copy_(gk.tensor([1.7, -2.2, 3.0]))
    assert x.tolist() == [1, -2, 3] and x.dtype is gk.int32
    x.copy_(np.array([4, 5, 6]))
    assert x.tolist() == [4, 5, 6]
    for dst, src in (((3,), (2,)), ((3,), (2, 3)), ((2, 1), (2, 2))):
        with pytest.raises(gk.errors.ShapeError, match="cannot be broadcast") as info:
            gk.zeros(*dst).copy_(gk.zeros(*src))
        assert isinstance(info.value, RuntimeError)
