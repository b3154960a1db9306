"""Sequence models: shapes, lengths, and a quick fit."""

import numpy as np
import pytest

import gradkit as gk


def test_classifier_uses_each_sequences_last_valid_state(rng):
    m = gk.models.SequenceClassifier(input_size=3, hidden_size=5, num_classes=4, cell="gru", bidirectional=True)
    x = gk.tensor(rng.standard_normal((2, 6, 3)).astype(np.float32))
    full = m(x, lengths=[6, 3])
    alone = m(x[1:2, :3])
    assert full.shape == (2, 4)
    np.testing.assert_allclose(full.numpy()[1], alone.numpy()[0], rtol=1e-5, atol=1e-6)


def test_tagger_with_embedding_shapes_and_padding():
    m = gk.models.SequenceTagger(vocab_size=20, embedding_dim=4, hidden_size=6, num_tags=3, padding_idx=0)
    out = m(gk.tensor([[3, 4, 5, 0], [7, 8, 0, 0]]), lengths=[3, 2])
    assert out.shape == (2, 4, 3)
    # padded steps see zero recurrent outputs, so their logits are the head's bias
    np.testing.assert_allclose(out.numpy()[1, 2], m.head.bias.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="cell must be one of"):
        gk.models.SequenceTagger(cell="transformer")


def test_mnist1d_gru_shape_and_parameter_names():
    m = gk.models.MNIST1DGRU()
    assert m(gk.randn(5, 40)).shape == (5, 10)
    assert m.fc.weight.shape == (10, 480)
    assert m.rnn.weight_hh_l0_reverse.shape == (18, 6)
    with pytest.raises(ValueError, match=r"\(batch, 40\).*got \(5, 30\)"):
        m(gk.randn(5, 30))


def test_classifier_fits_a_sequence_task():
    """Sum-sign task: label = whether the sequence sum is positive (needs the whole sequence)."""
    gen = np.random.default_rng(0)
    x = gen.standard_normal((256, 8)).astype(np.float32)
    y = (x.sum(1) > 0).astype(np.int64)
    m = gk.models.SequenceClassifier(input_size=1, hidden_size=12, num_classes=2, cell="gru")
    params = list(m.parameters())
    for _ in range(60):
        logits = m(gk.tensor(x))
        logp = logits - logits.logsumexp(-1, keepdim=True)
        loss = -logp[np.arange(256), y].mean()
        for p in params:
            p.grad = None
        loss.backward()
        with gk.no_grad():
            for p in params:
                p -= 0.5 * p.grad
    acc = (logits.numpy().argmax(1) == y).mean()
    assert acc > 0.85, acc
