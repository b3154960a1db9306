"""The TensorBoard callback: the event files hold the training's values, read back with TensorBoard's reader."""

import numpy as np
import pytest

import gradkit as gk

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def _read(path):
    acc = event_accumulator.EventAccumulator(str(path), size_guidance={"histograms": 0, "scalars": 0, "images": 0,
                                                                        "tensors": 0})
    acc.Reload()
    return acc


def _data(n=96):
    x = gk.randn(n, 4)
    y = (x[:, :1] - x[:, 1:2] > 0).float()
    return x, y


def test_scalars_histograms_text_and_health_figure(tmp_path):
    gk.manual_seed(0)
    net = gk.nn.Sequential(gk.nn.Linear(4, 8), gk.nn.ReLU(), gk.nn.Linear(8, 1))
    x, y = _data()
    health = gk.diagnose.TrainingHealth()
    tb = gk.train.TensorBoard(tmp_path, histogram_freq=1, update_freq="batch")
    hist = gk.train.fit(net, "bce_with_logits", "adam", (x[:64], y[:64]), (x[64:], y[64:]), epochs=3, batch_size=16,
                        verbose=0, metrics=["accuracy"], callbacks=[health, tb])
    train, val = _read(tmp_path / "train"), _read(tmp_path / "validation")
    tags = train.Tags()
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "batch_loss"} <= set(tags["scalars"])
    got = [e.value for e in train.Scalars("epoch_loss")]
    np.testing.assert_allclose(got, hist.history["loss"], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in val.Scalars("epoch_loss")], hist.history["val_loss"], rtol=1e-6)
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1, 2]
    assert len(train.Scalars("batch_loss")) == 3 * 4
    assert "0.weight" in tags["histograms"] and "0.weight/gradient" in tags["histograms"]
    h = train.Histograms("0.weight")[-1].histogram_value
    assert h.num == 32 and np.isclose(h.sum, float(net[0].weight.numpy().sum()), rtol=1e-4, atol=1e-5)
    assert "TrainingHealth" in tags["images"]
    texts = train.Tensors("model/text_summary")
    assert b"Linear(in_features=4" in texts[0].tensor_proto.string_val[0]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="histogram_freq"):
        gk.train.TensorBoard("logs", histogram_freq=-1)
    with pytest.raises(ValueError, match="update_freq"):
        gk.train.TensorBoard("logs", update_freq="sometimes")
