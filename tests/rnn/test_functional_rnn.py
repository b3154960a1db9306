"""The fused sequence op and the composable cells: gradients, agreement, masks, higher order."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.diagnose import gradcheck
from gradkit.diagnose.gradcheck import gradgradcheck
from gradkit.nn.functional import rnn as FR

MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]


def _weights(mode, I, H, rng, bias=True):
    G = FR.GATES[mode] * H

    def mk(*s):
        return gk.tensor(rng.standard_normal(s) * 0.6, dtype="float64", requires_grad=True)

    w = [mk(G, I), mk(G, H)]
    if bias:
        w += [mk(G), mk(G)]
    return w


def _seq_fn(mode, fused, mask=None, reverse=False, bias=True):
    """A function of (x, h0, c0, *weights) flattening every output (y, h_n[, c_n])."""

    def fn(x, h0, c0, *w):
        hx = (h0, c0) if mode == "LSTM" else h0
        wts = list(w) if bias else list(w[:2])
        y, hn = FR.rnn_sequence(mode, x, hx, *wts, mask=mask, reverse=reverse, fused=fused)
        parts = [y.reshape(-1)] + ([hn[0].reshape(-1), hn[1].reshape(-1)] if mode == "LSTM" else [hn.reshape(-1)])
        return gk.cat(parts)

    return fn


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("reverse,use_mask", [(False, False), (True, False), (False, True), (True, True)])
def test_sequence_gradcheck(mode, fused, reverse, use_mask, rng):
    T, B, I, H = 4, 3, 2, 3
    x = gk.tensor(rng.standard_normal((T, B, I)), dtype="float64", requires_grad=True)
    h0 = gk.tensor(rng.standard_normal((B, H)) * 0.5, dtype="float64", requires_grad=True)
    c0 = gk.tensor(rng.standard_normal((B, H)) * 0.5, dtype="float64", requires_grad=True)
    w = _weights(mode, I, H, rng)
    mask = FR.lengths_to_mask([4, 2, 1], T) if use_mask else None
    res = gradcheck(_seq_fn(mode, fused, mask, reverse), [x, h0, c0, *w])
    assert res.passed, str(res)


@pytest.mark.parametrize("mode", MODES)
def test_sequence_gradcheck_without_bias(mode, rng):
    T, B, I, H = 3, 2, 2, 3
    x = gk.tensor(rng.standard_normal((T, B, I)), dtype="float64", requires_grad=True)
    h0 = gk.tensor(rng.standard_normal((B, H)), dtype="float64", requires_grad=True)
    c0 = gk.tensor(rng.standard_normal((B, H)), dtype="float64", requires_grad=True)
    w = _weights(mode, I, H, rng, bias=False)
    res = gradcheck(_seq_fn(mode, True, bias=False), [x, h0, c0, *w])
    assert res.passed, str(res)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("reverse", [False, True])
def test_fused_and_composable_agree_in_float32(mode, reverse, rng):
    T, B, I, H = 7, 5, 4, 6
    x = gk.tensor(rng.standard_normal((T, B, I)).astype(np.float32), requires_grad=True)
    h0 = gk.tensor(rng.standard_normal((B, H)).astype(np.float32), requires_grad=True)
    c0 = gk.tensor(rng.standard_normal((B, H)).astype(np.float32), requires_grad=True)
    w = [gk.tensor(t.numpy().astype(np.float32), requires_grad=True) for t in _weights(mode, I, H, rng)]
    mask = FR.lengths_to_mask([7, 3, 5, 1, 6], T)
    outs, grads = [], []
    for fused in (True, False):
        out = _seq_fn(mode, fused, mask, reverse)(x, h0, c0, *w)
        assert out.dtype == np.float32
        proj = gk.tensor(np.linspace(-1, 1, out.shape[0]).astype(np.float32))
        gs = gk.grad((out * proj).sum(), [x, h0, c0, *w], allow_unused=True)
        outs.append(out.numpy())
        grads.append([np.zeros(1) if g is None else g.numpy() for g in gs])
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-5)
    for ga, gb in zip(*grads):
        np.testing.assert_allclose(ga, gb, rtol=1e-4, atol=1e-4)


def test_mask_semantics_match_truncated_runs(rng):
    """Padded steps: zero output, state frozen; the reverse direction starts at each sequence's end."""
    T, B, I, H = 6, 3, 2, 4
    lengths = [6, 3, 1]
    x = gk.tensor(rng.standard_normal((T, B, I)), dtype="float64")
    w = [t.detach() for t in _weights("GRU", I, H, rng)]
    h0 = gk.zeros(B, H, dtype="float64")
    mask = FR.lengths_to_mask(lengths, T)
    for reverse in (False, True):
        y, hn = FR.rnn_sequence("GRU", x, h0, *w, mask=mask, reverse=reverse)
        for b, L in enumerate(lengths):
            yb, hb = FR.rnn_sequence("GRU", x[:L, b : b + 1], h0[b : b + 1], *w, reverse=reverse)
            np.testing.assert_allclose(y.numpy()[:L, b], yb.numpy()[:, 0], atol=1e-12)
            np.testing.assert_allclose(hn.numpy()[b], hb.numpy()[0], atol=1e-12)
            assert np.all(y.numpy()[L:, b] == 0)


def test_composable_path_gives_second_derivatives(rng):
    T, B, I, H = 3, 2, 2, 2
    x = gk.tensor(rng.standard_normal((T, B, I)), dtype="float64", requires_grad=True)
    w = _weights("LSTM", I, H, rng)
    h0 = gk.zeros(B, H, dtype="float64")

    def fn(x, w_ih):
        y, (h, c) = FR.rnn_sequence("LSTM", x, (h0, h0), w_ih, *w[1:], fused=False)
        return (y * y).sum() + h.sum()

    res = gradgradcheck(fn, [x, w[0]])
    assert res.passed, str(res)


def test_fused_path_refuses_second_derivatives(rng):
    x = gk.tensor(rng.standard_normal((3, 2, 2)), dtype="float64", requires_grad=True)
    w = _weights("GRU", 2, 2, rng)
    y, h = FR.rnn_sequence("GRU", x, gk.zeros(2, 2, dtype="float64"), *w)
    (g,) = gk.grad((y * y).sum(), [x], create_graph=True)
    with pytest.raises(RuntimeError, match="once-differentiable"):
        g.sum().backward()


def test_lstm_saturated_gates_do_not_overflow():
    """Large pre-activations take exp to inf; the sigmoid limits must still come out exact (no warnings)."""
    x = gk.tensor(np.full((2, 1, 1), 200.0, dtype=np.float32))
    w_ih = gk.tensor(np.ones((4, 1), dtype=np.float32))
    w_hh = gk.tensor(np.zeros((4, 1), dtype=np.float32))
    y, (h, c) = FR.rnn_sequence("LSTM", x, (gk.zeros(1, 1), gk.zeros(1, 1)), w_ih, w_hh)
    # i = f = o = 1, g = 1: c = 1 then 2, h = tanh(c)
    np.testing.assert_allclose(c.numpy(), [[2.0]], rtol=1e-6)
    np.testing.assert_allclose(y.numpy()[:, 0, 0], np.tanh([1.0, 2.0]), rtol=1e-6)
    y2, (h2, c2) = FR.rnn_sequence("LSTM", -x, (gk.zeros(1, 1), gk.zeros(1, 1)), w_ih, w_hh)
    assert np.all(np.isfinite(y2.numpy())) and abs(c2.item()) < 1e-30


def test_lengths_to_mask_errors():
    with pytest.raises(ValueError, match=r"\[0, 4\].*max 5"):
        FR.lengths_to_mask([5, 2], 4)
    with pytest.raises(TypeError, match="integers"):
        FR.lengths_to_mask([1.5, 2], 4)
    np.testing.assert_array_equal(FR.lengths_to_mask([2, 0], 3), [[True, False], [True, False], [False, False]])


def test_cell_shape_errors():
    x, h = gk.randn(3, 4), gk.zeros(3, 5)
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, 4\), got \(3, 2\)"):
        FR.gru_cell(gk.randn(3, 2), h, gk.randn(15, 4), gk.randn(15, 5))
    with pytest.raises(ValueError, match=r"expected hidden state of shape \(3, 5\), got \(3, 4\)"):
        FR.rnn_tanh_cell(x, gk.zeros(3, 4), gk.randn(5, 4), gk.randn(5, 5))
    with pytest.raises(ValueError, match="unknown recurrent mode"):
        FR.rnn_sequence("LSTMX", gk.randn(2, 1, 4), h, gk.randn(5, 4), gk.randn(5, 5))


def test_lstm_workspace_reuse_keeps_earlier_results(rng):
    """The fused LSTM recycles its scratch arrays: outputs and gradients of one call must not
    change when later calls of the same shape reuse that memory."""
    T, B, I, H = 5, 3, 4, 6
    lstm = gk.nn.LSTM(I, H)
    x1 = gk.tensor(rng.standard_normal((T, B, I)).astype(np.float32))
    x2 = gk.tensor(rng.standard_normal((T, B, I)).astype(np.float32))
    y1, (h1, c1) = lstm(x1)
    y1_copy, h1_copy = y1.numpy().copy(), h1.numpy().copy()
    y1.sum().backward()
    g1 = lstm.weight_hh_l0.grad.numpy().copy()
    for _ in range(3):  # these reuse the buffers released by the first call
        lstm.zero_grad()
        y2, _ = lstm(x2)
        (y2 * y2).sum().backward()
    np.testing.assert_array_equal(y1.numpy(), y1_copy)
    np.testing.assert_array_equal(h1.numpy(), h1_copy)
    assert not np.allclose(y2.numpy(), y1_copy)
    lstm.zero_grad()
    y3, _ = lstm(x1)
    y3.sum().backward()
    np.testing.assert_allclose(y3.numpy(), y1_copy, rtol=0, atol=0)
    np.testing.assert_allclose(lstm.weight_hh_l0.grad.numpy(), g1, rtol=1e-6, atol=1e-7)
    FR.release_workspace()


@pytest.mark.parametrize("use_mask", [False, True])
def test_lstm_inference_forward_matches_training_forward(use_mask, rng):
    T, B, I, H = 6, 4, 3, 5
    lstm = gk.nn.LSTM(I, H, bidirectional=True)
    x = gk.tensor(rng.standard_normal((T, B, I)).astype(np.float32))
    lengths = [6, 3, 1, 4] if use_mask else None
    y, (h, c) = lstm(x, lengths=lengths)
    with gk.no_grad():
        y0, (h0, c0) = lstm(x, lengths=lengths)
    assert y.requires_grad and not y0.requires_grad
    for a, b in ((y, y0), (h, h0), (c, c0)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
