"""Shared helpers of the torch-parity tests: run one function in gradkit and in torch, compare values and grads."""

import numpy as np

import gradkit as gk


def rand(shape, seed=0, scale=1.5, away=0.0):
    """float64 normal values; ``away`` keeps them at least that far from 0 (kinks)."""
    a = np.random.default_rng(seed).standard_normal(shape) * scale
    if away:
        a = np.where(np.abs(a) < away, away * np.where(a < 0, -1.0, 1.0), a)
    return a


def compare(torch, gk_fn, torch_fn, arrays, *, grad=None, rtol=1e-6, atol=1e-8, nondiff=()):
    """Call both functions on float64 copies of ``arrays``; compare outputs and input gradients.

    ``grad`` selects which inputs get gradients (default: every floating input not in ``nondiff``).
    The upstream gradient is a fixed random array of the output's shape.
    """
    idx = [i for i, a in enumerate(arrays) if np.asarray(a).dtype.kind == "f" and i not in nondiff]
    if grad is not None:
        idx = list(grad)
    g_in = [gk.tensor(np.asarray(a), requires_grad=(i in idx)) for i, a in enumerate(arrays)]
    t_in = [torch.tensor(np.asarray(a), requires_grad=(i in idx)) for i, a in enumerate(arrays)]
    ours = gk_fn(*g_in)
    theirs = torch_fn(*t_in)
    ours_t = ours if isinstance(ours, (tuple, list)) else [ours]
    theirs_t = theirs if isinstance(theirs, (tuple, list)) else [theirs]
    for o, t in zip(ours_t, theirs_t):
        assert tuple(o.shape) == tuple(t.shape), (o.shape, t.shape)
        np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
    if not idx:
        return
    rng = np.random.default_rng(123)
    total_g, total_t = 0, 0
    for o, t in zip(ours_t, theirs_t):
        if not t.requires_grad:
            continue
        w = rng.standard_normal(tuple(t.shape))
        total_g = total_g + (o * gk.tensor(w)).sum()
        total_t = total_t + (t * torch.tensor(w)).sum()
    if isinstance(total_g, int):
        return
    total_g.backward()
    total_t.backward()
    for i in idx:
        tg = t_in[i].grad
        og = g_in[i].grad
        if tg is None:
            assert og is None or np.allclose(og.numpy(), 0), i
            continue
        assert og is not None, f"input {i} got no gradient"
        np.testing.assert_allclose(og.numpy(), tg.numpy(), rtol=rtol, atol=atol, err_msg=f"grad of input {i}")
