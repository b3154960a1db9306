"""normalize, cosine_similarity, pairwise_distance, one_hot, linear, bilinear, embedding, pad: gradcheck and torch parity."""

import json
import math

import numpy as np
import pytest

import gradkit as gk
import gradkit.nn.functional as F
from gradkit.diagnose import gradcheck

from .parity_helpers import compare, rand


def _g(a):
    return gk.tensor(a, requires_grad=True)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, math.inf])
def test_norm_based_gradcheck(p):
    x, y = _g(rand((3, 4), 1, away=0.1)), _g(rand((3, 4), 2, away=0.1))
    assert gradcheck(lambda a: F.normalize(a, p=p, dim=1), [x]).passed
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b, p=p), [x, y]).passed
    assert gradcheck(lambda a, b: F.cosine_similarity(a, b, dim=0), [x, y]).passed


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, math.inf])
@pytest.mark.parametrize("shape,dim", [((3, 4), 1), ((2, 3, 4), -1), ((5,), 0), ((0, 3), 1)])
def test_normalize_and_distances_match_torch(p, shape, dim):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    a, b = rand(shape, 3), rand(shape, 4)
    compare(torch, lambda x: F.normalize(x, p=p, dim=dim), lambda x: tf.normalize(x, p=p, dim=dim), [a])
    compare(torch, lambda x, y: F.pairwise_distance(x, y, p=p, keepdim=True),
            lambda x, y: tf.pairwise_distance(x, y, p=p, keepdim=True), [a, b])
    if p == 2.0:
        compare(torch, lambda x, y: F.cosine_similarity(x, y, dim=dim),
                lambda x, y: tf.cosine_similarity(x, y, dim=dim), [a, b])


def test_zero_vectors_give_zero_gradients_like_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    a = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])
    b = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5]])
    compare(torch, lambda x: F.normalize(x), lambda x: tf.normalize(x), [a])
    compare(torch, lambda x, y: F.cosine_similarity(x, y), lambda x, y: tf.cosine_similarity(x, y), [a, b])
    compare(torch, lambda x, y: F.pairwise_distance(x, y, eps=0.0), lambda x, y: tf.pairwise_distance(x, y, eps=0.0), [a, b])
    # broadcast
    compare(torch, lambda x, y: F.cosine_similarity(x, y, dim=-1), lambda x, y: tf.cosine_similarity(x, y, dim=-1),
            [rand((4, 1, 3), 5), rand((2, 3), 6)])


def test_one_hot_and_linear():
    torch = pytest.importorskip("torch")
    ids = np.array([[0, 3], [2, 2]])
    np.testing.assert_array_equal(F.one_hot(gk.tensor(ids)).numpy(), torch.nn.functional.one_hot(torch.tensor(ids)).numpy())
    assert F.one_hot(gk.tensor(ids), 6).shape == (2, 2, 6) and F.one_hot(gk.tensor(ids)).dtype == np.int64
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(gk.tensor([4]), 3)
    with pytest.raises(TypeError):
        F.one_hot(gk.tensor([1.0]))
    compare(torch, F.linear, torch.nn.functional.linear, [rand((2, 5, 3)), rand((4, 3), 1), rand((4,), 2)])
    compare(torch, F.linear, torch.nn.functional.linear, [rand((3,)), rand((4, 3), 1)])


def test_bilinear_gradcheck_and_torch():
    torch = pytest.importorskip("torch")
    args = [rand((5, 3), 1), rand((5, 4), 2), rand((2, 3, 4), 3), rand((2,), 4)]
    assert gradcheck(F.bilinear, [_g(a) for a in args]).passed
    compare(torch, F.bilinear, torch.nn.functional.bilinear, args)
    compare(torch, F.bilinear, torch.nn.functional.bilinear, [rand((2, 6, 3), 1), rand((2, 6, 4), 2), rand((2, 3, 4), 3)])
    with pytest.raises(ValueError, match="bilinear"):
        F.bilinear(gk.ones(5, 3), gk.ones(5, 5), gk.ones(2, 3, 4))


def test_bilinear_module_contract_and_torch_weights():
    torch = pytest.importorskip("torch")
    m = gk.nn.Bilinear(3, 4, 2)
    t = torch.nn.Bilinear(3, 4, 2).double()
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    m.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    m.double()
    compare(torch, m, t, [rand((6, 3), 1), rand((6, 4), 2)])
    np.testing.assert_allclose(m.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(m.bias.grad.numpy(), t.bias.grad.numpy(), rtol=1e-6)
    spec = {"class": "Bilinear", "config": json.loads(json.dumps(m.get_config()))}
    assert gk.nn.module_from_config(spec).weight.shape == (2, 3, 4)
    bound = 1 / math.sqrt(3)
    assert np.abs(gk.nn.Bilinear(3, 4, 100).weight.numpy()).max() <= bound


def test_distance_modules_match_torch():
    torch = pytest.importorskip("torch")
    a, b = rand((4, 5), 1), rand((4, 5), 2)
    compare(torch, gk.nn.CosineSimilarity(dim=1), torch.nn.CosineSimilarity(dim=1), [a, b])
    compare(torch, gk.nn.PairwiseDistance(p=1.0, keepdim=True), torch.nn.PairwiseDistance(p=1.0, keepdim=True), [a, b])


def test_embedding_options_match_torch():
    torch = pytest.importorskip("torch")
    w = rand((6, 3), 1) * 2
    ids = np.array([[0, 2, 2], [5, 2, 1]])
    for kw in ({}, {"padding_idx": 2}, {"scale_grad_by_freq": True}, {"max_norm": 1.0}, {"max_norm": 1.5, "norm_type": 1.0}):
        gw, tw = _g(w.copy()), torch.tensor(w.copy(), requires_grad=True)
        yo = F.embedding(gk.tensor(ids), gw, **kw)
        yt = torch.nn.functional.embedding(torch.tensor(ids), tw, **kw)
        np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-6)
        g = rand(yo.shape, 7)
        (yo * gk.tensor(g)).sum().backward()
        (yt * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(gw.grad.numpy(), tw.grad.numpy(), rtol=1e-6, err_msg=str(kw))
        np.testing.assert_allclose(gw.numpy(), tw.detach().numpy(), rtol=1e-6, err_msg=str(kw))
    m = gk.nn.Embedding(10, 4, padding_idx=1, max_norm=2.0, sparse=True)
    tm = torch.nn.Embedding(10, 4, padding_idx=1, max_norm=2.0, sparse=True)
    assert list(m.state_dict()) == list(tm.state_dict())


PAD_CASES = [
    ((2, 3, 5), (2, 1)),
    ((2, 3, 5), (-1, 2)),
    ((2, 3, 4, 5), (1, 2, 2, 1)),
    ((2, 3, 4, 5), (0, -2, 1, -1)),
    ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2)),
    ((3, 5), (3, 0)),
]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", PAD_CASES)
def test_pad_matches_torch(mode, shape, pad):
    torch = pytest.importorskip("torch")
    kw = {"value": 1.5} if mode == "constant" else {}
    a = rand(shape, 2)
    try:
        expected = torch.nn.functional.pad(torch.tensor(a), pad, mode=mode, **kw)
    except (RuntimeError, NotImplementedError, ValueError):
        with pytest.raises(ValueError):
            F.pad(gk.tensor(a), pad, mode=mode, **kw)
        return
    assert expected is not None
    compare(torch, lambda x: F.pad(x, pad, mode=mode, **kw), lambda x: torch.nn.functional.pad(x, pad, mode=mode, **kw), [a])


def test_pad_gradcheck_and_errors():
    x = _g(rand((2, 4), 1))
    for mode in ("reflect", "replicate", "circular", "constant"):
        assert gradcheck(lambda a: F.pad(a, (2, -1), mode=mode), [x]).passed, mode
    with pytest.raises(ValueError, match="even"):
        F.pad(x, (1,))
    with pytest.raises(ValueError, match="mode"):
        F.pad(x, (1, 1), mode="wrap")
    with pytest.raises(ValueError, match="smaller"):
        F.pad(x, (4, 0), mode="reflect")


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_norm_second_order(p):
    from gradkit.diagnose import gradgradcheck

    x, y = _g(rand((2, 3), 1, away=0.2)), _g(rand((2, 3), 2, away=0.2))
    assert gradgradcheck(lambda a: F.normalize(a, p=p, dim=1), [x]).passed
    assert gradgradcheck(lambda a, b: F.pairwise_distance(a, b, p=p), [x, y]).passed
