"""Weights trained in PyTorch load directly and give the same outputs (skipped without torch)."""

import numpy as np
import pytest

import gradkit as gk

torch = pytest.importorskip("torch")


def _load(gk_mod, t_mod):
    gk_mod.load_state_dict({k: v.detach().numpy() for k, v in t_mod.state_dict().items()})


@pytest.mark.parametrize(
    "name,kw",
    [
        ("RNN", dict(num_layers=2, nonlinearity="relu")),
        ("LSTM", dict(num_layers=2, bidirectional=True, batch_first=True)),
        ("GRU", dict(num_layers=2, bidirectional=True)),
        ("LSTM", dict(bias=False)),
    ],
)
def test_outputs_match_torch(name, kw, rng):
    torch.manual_seed(0)
    t_mod = getattr(torch.nn, name)(5, 7, **kw)
    g_mod = getattr(gk.nn, name)(5, 7, **kw)
    _load(g_mod, t_mod)
    B, T = 3, 6
    x = rng.standard_normal((B, T, 5) if kw.get("batch_first") else (T, B, 5)).astype(np.float32)
    dirs = 2 if kw.get("bidirectional") else 1
    h0 = rng.standard_normal((kw.get("num_layers", 1) * dirs, B, 7)).astype(np.float32)
    c0 = rng.standard_normal(h0.shape).astype(np.float32)
    if name == "LSTM":
        to, (th, tc) = t_mod(torch.from_numpy(x), (torch.from_numpy(h0), torch.from_numpy(c0)))
        go, (gh, gc) = g_mod(gk.tensor(x), (gk.tensor(h0), gk.tensor(c0)))
        np.testing.assert_allclose(gc.numpy(), tc.detach().numpy(), atol=1e-5)
    else:
        to, th = t_mod(torch.from_numpy(x), torch.from_numpy(h0))
        go, gh = g_mod(gk.tensor(x), gk.tensor(h0))
    np.testing.assert_allclose(go.numpy(), to.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(gh.numpy(), th.detach().numpy(), atol=1e-5)


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_lengths_match_torch_packed_sequences(name, rng):
    torch.manual_seed(0)
    t_mod = getattr(torch.nn, name)(4, 5, num_layers=2, bidirectional=True, batch_first=True)
    g_mod = getattr(gk.nn, name)(4, 5, num_layers=2, bidirectional=True, batch_first=True)
    _load(g_mod, t_mod)
    lengths = [6, 2, 4]
    x = rng.standard_normal((3, 6, 4)).astype(np.float32)
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.from_numpy(x), lengths, batch_first=True, enforce_sorted=False)
    t_out, t_h = t_mod(packed)
    t_out, _ = torch.nn.utils.rnn.pad_packed_sequence(t_out, batch_first=True, total_length=6)
    g_out, g_h = g_mod(gk.tensor(x), lengths=lengths)
    if name == "LSTM":
        t_h, g_h = t_h[0], g_h[0]
    np.testing.assert_allclose(g_out.numpy(), t_out.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(g_h.numpy(), t_h.detach().numpy(), atol=1e-5)


def test_gradients_match_torch(rng):
    torch.manual_seed(0)
    t_mod = torch.nn.LSTM(3, 4, bidirectional=True)
    g_mod = gk.nn.LSTM(3, 4, bidirectional=True)
    _load(g_mod, t_mod)
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    xt = torch.from_numpy(x).requires_grad_()
    (t_mod(xt)[0] ** 2).sum().backward()
    xg = gk.tensor(x, requires_grad=True)
    (g_mod(xg)[0] ** 2).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), atol=1e-5)
    for (n, p), (_, tp) in zip(g_mod.named_parameters(), t_mod.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), atol=1e-5, err_msg=n)


def test_cells_and_embedding_match_torch(rng):
    torch.manual_seed(0)
    x = rng.standard_normal((2, 3)).astype(np.float32)
    for name in ("RNNCell", "LSTMCell", "GRUCell"):
        t_cell = getattr(torch.nn, name)(3, 4)
        g_cell = getattr(gk.nn, name)(3, 4)
        _load(g_cell, t_cell)
        t_out = t_cell(torch.from_numpy(x))
        g_out = g_cell(gk.tensor(x))
        t_h = t_out[0] if isinstance(t_out, tuple) else t_out
        g_h = g_out[0] if isinstance(g_out, tuple) else g_out
        np.testing.assert_allclose(g_h.numpy(), t_h.detach().numpy(), atol=1e-5, err_msg=name)
    t_emb = torch.nn.Embedding(6, 3, padding_idx=1)
    g_emb = gk.nn.Embedding(6, 3, padding_idx=1)
    _load(g_emb, t_emb)
    ids = np.array([[1, 2, 2], [5, 1, 0]])
    (t_emb(torch.from_numpy(ids)) ** 2).sum().backward()
    (g_emb(gk.tensor(ids)) ** 2).sum().backward()
    np.testing.assert_allclose(g_emb.weight.grad.numpy(), t_emb.weight.grad.numpy(), atol=1e-6)
