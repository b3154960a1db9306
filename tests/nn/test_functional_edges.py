"""nn.functional's edge cases and error messages: 0-d and empty inputs, mixed dtypes, bad arguments."""

import math

import numpy as np
import pytest

import gradkit as gk
import gradkit.nn.functional as F


# ----------------------------------------------------------------------------- activations
def test_sign_of_integers_and_softmax_of_a_scalar():
    assert F.sign(gk.tensor([-3, 0, 2])).tolist() == [-1, 0, 1]
    x = gk.tensor(3.0, requires_grad=True)
    y = F.softmax(x, dim=0)
    assert y.item() == 1.0 and F.log_softmax(x, dim=0).item() == 0.0  # as torch on a 0-d tensor
    y.backward()
    assert x.grad.item() == 0.0


# ----------------------------------------------------------------------------- losses
def test_prediction_must_be_a_floating_tensor():
    with pytest.raises(TypeError, match="must be a Tensor, got list"):
        F.mse_loss([1.0, 2.0], gk.zeros(2))
    with pytest.raises(TypeError, match="must be floating point, got dtype int64"):
        F.l1_loss(gk.tensor([1, 2]), gk.zeros(2))
    with pytest.raises(ValueError, match="delta must be positive, got 0"):
        F.huber_loss(gk.zeros(2), gk.zeros(2), delta=0)


def test_targets_and_weights_of_another_dtype_take_the_inputs():
    x = gk.tensor([0.2, 0.7], requires_grad=True)
    t = gk.tensor([0.0, 1.0], dtype="float64", requires_grad=True)  # a differentiable target is cast in the graph
    loss = F.mse_loss(x, t)
    assert loss.dtype == np.float32
    loss.backward()
    assert t.grad.dtype == np.float64 and t.grad.numpy() == pytest.approx([-0.2, 0.3])
    w = gk.tensor([1.0, 2.0], dtype="float64")
    assert F.binary_cross_entropy(x, t.detach(), weight=w).dtype == np.float32
    assert F.binary_cross_entropy_with_logits(x, t.detach(), pos_weight=w).dtype == np.float32
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) does not broadcast to the loss of shape \(2,\)"):
        F.binary_cross_entropy(x, t.detach(), weight=gk.ones(3))
    logits = gk.randn(3, 4, requires_grad=True)
    probs = gk.tensor(np.full((3, 4), 0.25))  # float64 probabilities for float32 logits
    assert F.cross_entropy(logits, probs).dtype == np.float32


def test_cross_entropy_edge_shapes_and_target_dtypes():
    with pytest.raises(ValueError, match="at least one dimension"):
        F.cross_entropy(gk.tensor(1.0), gk.tensor(0))
    with pytest.raises(TypeError, match="class indices .integer. or probabilities .float., got dtype bool"):
        F.cross_entropy(gk.zeros(2, 3), gk.tensor([True, False]))
    # an empty batch: nothing to sum, and the mean of nothing is nan (as PyTorch)
    x = gk.zeros(0, 3, requires_grad=True)
    y = gk.tensor(np.zeros(0, dtype=np.int64))
    assert F.cross_entropy(x, y, reduction="none").shape == (0,)
    assert F.cross_entropy(x, y, reduction="sum").item() == 0.0
    assert math.isnan(F.cross_entropy(x, y).item())


def test_multi_margin_loss_errors():
    x = gk.zeros(2, 3)
    with pytest.raises(ValueError, match="p must be 1 or 2, got 3"):
        F.multi_margin_loss(x, gk.tensor([0, 1]), p=3)
    with pytest.raises(ValueError, match=r"must be \(N, C\) or \(C,\), got shape \(2, 3, 1\)"):
        F.multi_margin_loss(gk.zeros(2, 3, 1), gk.tensor([0, 1]))
    with pytest.raises(TypeError, match="class indices .integer dtype., got dtype float32"):
        F.multi_margin_loss(x, gk.tensor([0.0, 1.0]))


# ----------------------------------------------------------------------------- normalization
def test_batch_norm_errors_and_dtype():
    with pytest.raises(ValueError, match=r"expects an input \(N, C, ...\), got shape \(3,\)"):
        F.batch_norm(gk.zeros(3), training=True)
    with pytest.raises(ValueError, match="needs running_mean and running_var"):
        F.batch_norm(gk.zeros(4, 3))
    with pytest.raises(ValueError, match=r"weight and bias must have shape \(3,\)"):
        F.batch_norm(gk.randn(4, 3), weight=gk.ones(2), training=True)
    x = gk.randn(4, 3, dtype="float64")
    y = F.batch_norm(x, weight=gk.ones(3), bias=gk.zeros(3), training=True)  # float32 parameters
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy().mean(0), 0.0, atol=1e-6)


def test_layer_norm_int_shape_and_errors():
    x = gk.randn(2, 5)
    y = F.layer_norm(x, 5)
    np.testing.assert_allclose(y.numpy().mean(-1), 0.0, atol=1e-6)
    with pytest.raises(ValueError, match=r"trailing shape \(4,\), got shape \(2, 5\)"):
        F.layer_norm(x, (4,))
