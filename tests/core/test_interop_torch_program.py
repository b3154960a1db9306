"""A PyTorch program written against creation, conversion, dtype and device API runs on gradkit unchanged.

``program(torch)`` is plain PyTorch code; it runs once with ``torch`` and once with ``gradkit``
passed as ``torch`` (what changing the ``import torch`` line does), and the values, dtypes and
gradients agree. Its data is deterministic, as the two libraries' random streams differ.
"""

import numpy as np
import pytest

import gradkit as gk


def program(torch):
    out = {}
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device("cpu")  # compare on the CPU
    x = torch.arange(12, dtype=torch.float32, device=device).reshape(3, 4) / 10
    w = torch.linspace(-1, 1, 8).reshape(4, 2).double().float().requires_grad_()
    b = torch.full((2,), 0.5, requires_grad=True)
    y = torch.tensor([0, 1, 1], dtype=torch.long)
    ones = x.new_ones(3, 2)
    logits = x @ w + b * ones
    mask = torch.zeros_like(logits, dtype=torch.bool)
    mask[:, 0] = True
    picked = (logits * mask.float()).sum(1)
    loss = ((picked - y.to(torch.float32)) ** 2).mean() + logits.exp().sum() / torch.numel(logits)
    loss.backward()
    out["loss"] = loss.item()
    out["w.grad"] = w.grad.numpy().copy()
    out["b.grad"] = b.grad.tolist()
    out["dtypes"] = [str(t.dtype).replace("torch.", "") for t in (x, y, mask, x.half(), y.int(), x.to(torch.float64))]
    eye = torch.eye(3, 2, dtype=torch.float64)
    z = torch.empty_like(eye).copy_(torch.ones(2)).fill_(2.0).zero_() + eye
    out["z"] = z.numpy().copy()
    out["sizes"] = [x.element_size(), x.nbytes, y.itemsize, x.numel(), x.dim(), x.size(1)]
    out["questions"] = [x.is_floating_point(), y.is_floating_point(), torch.is_tensor(x), x.is_cuda,
                        torch.is_floating_point(y), x.dtype == torch.float32, x.dtype is torch.float32,
                        torch.get_default_dtype() == torch.float32, str(x.device), x.device.type]
    out["finfo"] = [float(torch.finfo(torch.float32).eps), int(torch.iinfo(torch.int16).max)]
    out["new"] = [y.new_tensor([1.5, 2.5]).tolist(), x.new_full((2,), 7).tolist(), x.new_zeros((1, 2)).tolist()]
    out["range"] = [torch.arange(0, 1, 0.25).tolist(), torch.logspace(0, 2, 3).tolist(),
                    torch.linspace(0, 10, 4, dtype=torch.int64).tolist()]
    return out


def test_program_runs_the_same_on_gradkit_and_torch():
    torch = pytest.importorskip("torch")
    got, want = program(gk), program(torch)
    assert got.keys() == want.keys()
    for key in got:
        g, w = got[key], want[key]
        if isinstance(w, (np.ndarray, float)) or key == "b.grad":
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=key)
        else:
            assert g == w, key
