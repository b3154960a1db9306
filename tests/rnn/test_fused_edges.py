"""The fused recurrent op as a FusedOp: once-differentiable, retain_graph, argument errors."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.nn.functional import rnn as FR

from .test_functional_rnn import _weights


def _lstm_inputs(rng, T=4, B=3, I=2, H=3):
    x = gk.tensor(rng.standard_normal((T, B, I)), dtype="float64", requires_grad=True)
    h0 = gk.tensor(rng.standard_normal((B, H)), dtype="float64", requires_grad=True)
    c0 = gk.tensor(rng.standard_normal((B, H)), dtype="float64", requires_grad=True)
    return x, h0, c0, _weights("LSTM", I, H, rng)


def test_fused_lstm_refuses_second_derivatives(rng):
    x, h0, c0, w = _lstm_inputs(rng)
    y, (h, c) = FR.rnn_sequence("LSTM", x, (h0, c0), *w)
    (g,) = gk.grad((y * y).sum(), [x], create_graph=True)
    with pytest.raises(RuntimeError, match=r"RecurrentSequence\[LSTM\] is once-differentiable"):
        g.sum().backward()


@pytest.mark.parametrize("lengths", [None, [4, 2, 3]])
@pytest.mark.parametrize("reverse", [False, True])
def test_fused_lstm_backward_twice_with_retain_graph(lengths, reverse, rng):
    """The local derivatives are computed from the saved gates on the first backward and kept."""
    x, h0, c0, w = _lstm_inputs(rng)
    mask = None if lengths is None else FR.lengths_to_mask(lengths, 4)
    y, (h, c) = FR.rnn_sequence("LSTM", x, (h0, c0), *w, mask=mask, reverse=reverse)
    loss = (y * y).sum() + (h * c).sum()
    inputs = [x, h0, c0] + w
    first = gk.grad(loss, inputs, retain_graph=True)
    second = gk.grad(loss, inputs)
    y2, (h2, c2) = FR.rnn_sequence("LSTM", x, (h0, c0), *w, mask=mask, reverse=reverse, fused=False)
    ref = gk.grad((y2 * y2).sum() + (h2 * c2).sum(), inputs)
    for a, b, r in zip(first, second, ref):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        np.testing.assert_allclose(a.numpy(), r.numpy(), rtol=1e-10, atol=1e-12)


def test_recurrent_sequence_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match=r"unknown recurrent mode 'LSTMX'"):
        FR.RecurrentSequence("LSTMX")


def test_rnn_argument_errors():
    x, h = gk.randn(3, 4), gk.zeros(3, 5)
    with pytest.raises(ValueError, match=r"gru_cell: expected weights with 3\*hidden_size = 15 rows"):
        FR.gru_cell(x, h, gk.randn(12, 4), gk.randn(15, 5))
    with pytest.raises(ValueError, match=r"lstm_cell: expected cell state of shape \(3, 5\), got \(3, 4\)"):
        FR.lstm_cell(x, (h, gk.zeros(3, 4)), gk.randn(20, 4), gk.randn(20, 5))
    with pytest.raises(ValueError, match=r"rnn_sequence: expected a mask of shape \(2, 3\), got \(3, 2\)"):
        FR.rnn_sequence("GRU", gk.randn(2, 3, 4), h, gk.randn(15, 4), gk.randn(15, 5), mask=np.ones((3, 2), bool))
    with pytest.raises(ValueError, match=r"lengths must be one-dimensional \(batch,\), got shape \(2, 1\)"):
        FR.lengths_to_mask([[1], [2]], 3)


def test_all_true_mask_is_the_unmasked_path_and_float_lengths_are_accepted(rng):
    x = gk.tensor(rng.standard_normal((3, 2, 4)).astype(np.float32))
    w_ih, w_hh = gk.randn(15, 4), gk.randn(15, 5)
    h = gk.zeros(2, 5)
    mask = FR.lengths_to_mask(np.array([3.0, 3.0]), 3)
    assert mask.dtype == bool and mask.all()
    y, hn = FR.rnn_sequence("GRU", x, h, w_ih, w_hh, mask=gk.tensor(mask))
    y0, hn0 = FR.rnn_sequence("GRU", x, h, w_ih, w_hh)
    np.testing.assert_array_equal(y.numpy(), y0.numpy())
    np.testing.assert_array_equal(hn.numpy(), hn0.numpy())
