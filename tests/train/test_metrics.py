

def test_accuracy_reads_integer_one_hot_targets_shaped_like_the_scores():
    import pytest

    import gradkit as gk

    scores = gk.tensor([[2.0, 0.1, 0.0], [0.0, 0.2, 3.0], [1.0, 2.0, 0.0]])
    onehot = gk.nn.functional.one_hot(gk.tensor([0, 2, 0]), 3)  # int64, as torch makes it
    assert onehot.dtype.kind == "i"
    assert gk.train.metrics.accuracy(scores, onehot) == pytest.approx(2 / 3)
    assert gk.train.metrics.accuracy(scores, gk.tensor([0, 2, 0])) == pytest.approx(2 / 3)
