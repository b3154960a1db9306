"""One helper for the reduction/scan/selection tests: run a gradkit and a torch function on the
same float64 arrays, compare every output (values, indices, dtype kinds and shapes) and the
gradients of a random projection of the differentiable outputs."""

import numpy as np

import gradkit as gk


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [o for x in out for o in _flat(x)]
    return [out]


def same_as_torch(gk_fn, torch_fn, arrays, *, grad=True, rtol=1e-10, atol=1e-12, check_dtype=True):
    """Compare ``gk_fn(*gk tensors)`` with ``torch_fn(*torch tensors)``.

    ``arrays`` are NumPy arrays; floating ones require grad on both sides when ``grad``. Returns
    the gradkit outputs (flattened) for further checks.
    """
    import torch

    g_in = [gk.tensor(a.copy(), requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    t_in = [torch.tensor(a.copy(), requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    g_out, t_out = _flat(gk_fn(*g_in)), _flat(torch_fn(*t_in))
    assert len(g_out) == len(t_out), (len(g_out), len(t_out))
    for g, t in zip(g_out, t_out):
        tv = t.detach().numpy()
        assert g.shape == tuple(tv.shape), (g.shape, tuple(tv.shape))
        if check_dtype:
            assert g.numpy().dtype.kind == tv.dtype.kind, (g.numpy().dtype, tv.dtype)
        np.testing.assert_allclose(g.numpy(), tv, rtol=rtol, atol=atol, equal_nan=True)
    if not grad:
        return g_out
    rng = np.random.default_rng(1)
    pairs = [(g, t) for g, t in zip(g_out, t_out) if t.requires_grad]
    if not pairs:
        return g_out
    g_loss, t_loss = None, 0.0
    for g, t in pairs:
        w = rng.standard_normal(t.shape)
        if g.requires_grad:  # an output gradkit does not differentiate must have zero gradient in torch
            term = (g * gk.tensor(w)).sum()
            g_loss = term if g_loss is None else g_loss + term
        t_loss = t_loss + (t * torch.tensor(w)).sum()
    t_leaves = [t for t in t_in if t.requires_grad]
    g_leaves = [g for g in g_in if g.requires_grad]
    t_grads = torch.autograd.grad(t_loss, t_leaves, allow_unused=True)
    g_grads = [None] * len(g_leaves) if g_loss is None else gk.autograd.grad(g_loss, g_leaves, allow_unused=True)
    for gg, tg, leaf in zip(g_grads, t_grads, g_leaves):
        want = np.zeros(leaf.shape) if tg is None else tg.numpy()
        got = np.zeros(leaf.shape) if gg is None else gg.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)
    return g_out
