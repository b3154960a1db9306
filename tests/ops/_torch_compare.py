"""One helper compares a gradkit function with its torch twin: values, gradients (for a random
upstream gradient) and a float64 numerical gradient check."""

import numpy as np

import gradkit as gk
from gradkit.diagnose import gradcheck


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def compare(gk_fn, torch_fn, arrays, *, grad=True, check=True, rtol=1e-6, atol=1e-8, seed=0, which=None, pre=None):
    """Run both functions on float64 copies of ``arrays`` and assert equal values and gradients.

    ``which`` picks the outputs that get an upstream gradient (default: every floating output);
    ``pre`` maps the inputs before ``gk_fn`` in the numerical check only (e.g. symmetrising the
    input of a function that reads one triangle of it, whose gradient assumes symmetric input).
    """
    import torch

    rng = np.random.default_rng(seed)
    floats = [a.dtype.kind == "f" for a in arrays]
    gx = [gk.tensor(a, requires_grad=grad and f) for a, f in zip(arrays, floats)]
    tx = [torch.tensor(a, requires_grad=grad and f) for a, f in zip(arrays, floats)]
    gout, tout = _flat(gk_fn(*gx)), _flat(torch_fn(*tx))
    assert len(gout) == len(tout)
    for g, t in zip(gout, tout):
        assert tuple(g.shape) == tuple(t.shape), (g.shape, t.shape)
        np.testing.assert_allclose(g.numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
    if not grad or not gout:
        return
    idx = [i for i, t in enumerate(tout) if t.dtype.is_floating_point] if which is None else which
    ws = [rng.standard_normal(tuple(tout[i].shape)) for i in idx]
    tl = sum((tout[i] * torch.tensor(w)).sum() for i, w in zip(idx, ws))
    gl = sum((gout[i] * gk.tensor(w)).sum() for i, w in zip(idx, ws))
    tl.backward()
    gl.backward()
    for g, t in zip(gx, tx):
        if t.requires_grad:
            tg = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
            gg = np.zeros(g.shape) if g.grad is None else g.grad.numpy()
            np.testing.assert_allclose(gg, tg, rtol=max(rtol, 1e-6), atol=max(atol, 1e-8))
    if check and any(floats):
        def loss(*xs):
            outs = _flat(gk_fn(*(xs if pre is None else pre(*xs))))
            return sum((outs[i] * gk.tensor(w)).sum() for i, w in zip(idx, ws))

        inputs = [gk.tensor(a, requires_grad=f) for a, f in zip(arrays, floats)]
        res = gradcheck(loss, inputs)
        assert res, res
