"""model.summary() without an input shape when the layers give it (Keras' summary of a built model)."""

import pytest

import gradkit as gk


def test_summary_reads_the_shape_from_the_first_linear():
    net = gk.nn.Sequential(gk.nn.Flatten(), gk.nn.Linear(784, 128), gk.nn.ReLU(), gk.nn.Dropout(0.2),
                           gk.nn.Linear(128, 10))
    text = net.summary(print_fn=None)
    assert text == net.summary((784,), print_fn=None)
    assert "Total params: 101,770" in text and "Input shape: (1, 784)" in text


def test_summary_asks_for_the_shape_when_the_layers_do_not_give_it():
    cnn = gk.nn.Sequential(gk.nn.Conv2d(1, 8, 3), gk.nn.ReLU(), gk.nn.Flatten(), gk.nn.Linear(8 * 26 * 26, 10))
    with pytest.raises(ValueError, match=r"first layer 0 \(Conv2d\) does not give its spatial size; pass"):
        cnn.summary(print_fn=None)
    assert "Total params" in cnn.summary((1, 28, 28), print_fn=None)
    with pytest.raises(ValueError, match="sequence length"):
        gk.nn.Sequential(gk.nn.Embedding(10, 4)).summary(print_fn=None)
