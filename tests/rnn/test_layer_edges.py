"""Argument errors and rarely taken branches of the recurrent layers and cells."""

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn


def test_unbatched_input_with_a_given_state_of_another_dtype(rng):
    lstm = nn.LSTM(3, 4, num_layers=2)
    x = gk.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    h0 = rng.standard_normal((2, 4))  # float64 arrays: converted to the input's dtype
    c0 = rng.standard_normal((2, 4))
    y, (h, c) = lstm(x, (h0, c0))
    assert y.shape == (5, 4) and h.shape == (2, 4) and c.shape == (2, 4) and y.dtype == np.float32
    yb, (hb, cb) = lstm(gk.unsqueeze(x, 1), (gk.tensor(h0[:, None]).float(), gk.tensor(c0[:, None]).float()))
    np.testing.assert_allclose(y.numpy(), yb.numpy()[:, 0], rtol=1e-6)
    np.testing.assert_allclose(c.numpy(), cb.numpy()[:, 0], rtol=1e-6)


def test_rnn_layer_argument_errors():
    gru = nn.GRU(3, 4)
    with pytest.raises(TypeError, match=r"GRU\(3, 4\): expected hx as a Tensor or array, got object"):
        gru(gk.randn(2, 1, 3), object())
    with pytest.raises(ValueError, match="unknown RNN mode 'X'"):
        nn.RNNBase("X", 3, 4)
    with pytest.raises(ValueError, match=r"expected a 3-D input \(time, batch, features\)"):
        gru(gk.randn(3))
    with pytest.raises(TypeError, match="expected a floating-point input, got dtype int64"):
        gru(gk.tensor(np.ones((2, 1, 3), dtype=np.int64)))
    with pytest.raises(ValueError, match="give lengths or mask, not both"):
        gru(gk.randn(2, 1, 3), lengths=[2], mask=np.ones((2, 1), bool))
    with pytest.raises(ValueError, match="lengths and mask need a batched 3-D input"):
        gru(gk.randn(2, 3), lengths=[2])
    with pytest.raises(TypeError, match="input dtype float64 differs from the parameters' dtype float32"):
        gru(gk.randn(2, 1, 3, dtype="float64"))


def test_full_lengths_run_the_unmasked_path(rng):
    gru = nn.GRU(3, 4, batch_first=True)
    x = gk.tensor(rng.standard_normal((2, 5, 3)).astype(np.float32))
    y, h = gru(x, lengths=[5, 5])
    y0, h0 = gru(x)
    np.testing.assert_array_equal(y.numpy(), y0.numpy())
    assert len(gru.all_weights) == 1 and gru.all_weights[0][0] is gru.weight_ih_l0


def test_cells_unbatched_bias_free_and_errors(rng):
    cell = nn.RNNCell(3, 4, bias=False, nonlinearity="relu")
    assert repr(cell) == "RNNCell(3, 4, bias=False, nonlinearity='relu')"
    assert cell.bias_ih is None and len(list(cell.parameters())) == 2
    x = gk.tensor(rng.standard_normal(3).astype(np.float32))
    h = cell(x, gk.zeros(4))
    assert h.shape == (4,)
    lstm = nn.LSTMCell(3, 4)
    h2, c2 = lstm(x)
    assert h2.shape == (4,) and c2.shape == (4,)
    with pytest.raises(TypeError, match=r"LSTMCell\(3, 4\): expected hx as a pair \(h_0, c_0\), got Tensor"):
        lstm(x, gk.zeros(4))
    with pytest.raises(ValueError, match="RNNCell: nonlinearity must be 'tanh' or 'relu', got 'gelu'"):
        nn.RNNCell(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="GRUCell: hidden_size must be a positive integer, got 0"):
        nn.GRUCell(3, 0)


def test_pad_sequence_errors():
    with pytest.raises(ValueError, match="pad_sequence: expected a non-empty list of sequences"):
        nn.pad_sequence([])
    with pytest.raises(ValueError, match="padding_side must be 'right' or 'left', got 'middle'"):
        nn.pad_sequence([gk.ones(2)], padding_side="middle")
