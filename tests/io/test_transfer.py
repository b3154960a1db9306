"""Weight transfer: load_weights (partial loads with a report) and PyTorch interop both ways."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.io import LoadReport, load_weights

nn = gk.nn


class Net(nn.Module):
    def __init__(self, n_out=3):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8))
        self.head = nn.Linear(8, n_out)

    def forward(self, x):
        return self.head(self.body(x))


def _bits(t):
    return t.numpy().tobytes()


def test_load_weights_of_the_body_only(tmp_path):
    src, dst = Net(3), Net(5)
    p = tmp_path / "src.safetensors"
    gk.save(src, p)
    head_before = _bits(dst.head.weight)
    report = load_weights(dst, p, prefix="body.")
    assert isinstance(report, LoadReport)
    assert report.loaded == ["body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]
    assert report.skipped == ["head.weight", "head.bias"]
    assert report.skip_reasons["head.weight"] == "outside prefix 'body.'"
    assert report.missing == [] and report.mismatched == []
    assert _bits(dst.body[0].weight) == _bits(src.body[0].weight)
    assert _bits(dst.head.weight) == head_before
    assert "loaded 4, skipped 2" in str(report)


def test_load_weights_mismatch_loads_nothing_and_names_every_key():
    src, dst = Net(3), Net(5)
    before = {k: _bits(v) for k, v in dst.state_dict().items()}
    with pytest.raises(ValueError) as err:
        load_weights(dst, src.state_dict())
    msg = str(err.value)
    assert "nothing was loaded" in msg
    assert "head.weight: source shape (3, 8), model shape (5, 8)" in msg
    assert "head.bias: source shape (3,), model shape (5,)" in msg
    assert {k: _bits(v) for k, v in dst.state_dict().items()} == before


def test_key_map_dict_and_callable():
    body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8))
    dst = Net()
    report = load_weights(dst, body.state_dict(), key_map=lambda k: "body." + k)
    assert report.loaded == ["body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]
    assert report.missing == ["head.weight", "head.bias"]
    assert report.renamed["0.weight"] == "body.0.weight"
    assert _bits(dst.body[2].weight) == _bits(body[2].weight)

    src = {"encoder.w": np.ones((8, 4), np.float64), "junk": np.zeros(1), "drop": np.zeros(2)}
    report = load_weights(dst, src, key_map={"encoder.w": "body.0.weight", "drop": None})
    assert report.loaded == ["body.0.weight"]
    assert report.skip_reasons == {"junk": "no such key in the model", "drop": "dropped by key_map"}
    assert dst.body[0].weight.dtype == np.float32 and float(dst.body[0].weight.sum()) == 32.0

    with pytest.raises(ValueError, match="both map to model key 'head.bias'"):
        load_weights(dst, {"a": np.zeros(3), "b": np.zeros(3)}, key_map=lambda k: "head.bias")


def test_strict_refuses_missing_and_unexpected_and_loads_nothing():
    dst = Net()
    before = _bits(dst.body[0].weight)
    with pytest.raises(ValueError, match="strict=True.*missing in the source: .*head.bias.*not in the model: extra"):
        load_weights(dst, {"body.0.weight": np.ones((8, 4)), "extra": np.ones(1)}, strict=True)
    assert _bits(dst.body[0].weight) == before
    report = load_weights(dst, Net().state_dict(), strict=True)
    assert len(report.loaded) == 6


def test_load_weights_from_a_training_checkpoint(tmp_path):
    src = Net()
    p = tmp_path / "ck.safetensors"
    gk.io.save_checkpoint(p, model=src, epoch=2)
    dst = Net()
    report = load_weights(dst, p, prefix=("body.0.", "head."))
    assert report.loaded == ["body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    assert _bits(dst.head.weight) == _bits(src.head.weight)


# ---------------------------------------------------------------------------- PyTorch interop
def _torch_pair():
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    def build(lib, flat):
        return lib.Sequential(
            lib.Conv2d(1, 4, 3, padding=1), lib.BatchNorm2d(4), lib.ReLU(), lib.Flatten(),
            lib.Linear(4 * 5 * 5, flat), lib.ReLU(), lib.Linear(flat, 3),
        )

    return torch, build(tnn, 6), build(nn, 6)


def test_pytorch_safetensors_file_loads_into_gradkit_without_renaming(tmp_path):
    torch, tmodel, gmodel = _torch_pair()
    from safetensors.torch import save_file

    torch.manual_seed(0)
    with torch.no_grad():  # give batch norm non-trivial running statistics
        tmodel.train()
        tmodel(torch.randn(8, 1, 5, 5))
    tmodel.eval()
    p = tmp_path / "torch.safetensors"
    save_file(tmodel.state_dict(), str(p))
    state = gk.load(p)
    assert set(state) == set(tmodel.state_dict())  # same names, no renaming
    gmodel.load_state_dict(state, strict=True)
    gmodel.eval()
    x = np.random.default_rng(0).standard_normal((2, 1, 5, 5)).astype(np.float32)
    want = tmodel(torch.from_numpy(x)).detach().numpy()
    got = gmodel(gk.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_gradkit_file_loads_into_pytorch(tmp_path):
    torch, tmodel, gmodel = _torch_pair()
    from safetensors.torch import load_file

    gmodel.train()
    gmodel(gk.randn(8, 1, 5, 5))  # update running statistics
    gmodel.eval()
    p = tmp_path / "gk.safetensors"
    gk.save(gmodel.state_dict(), p)
    tmodel.load_state_dict(load_file(str(p)), strict=True)
    tmodel.eval()
    x = np.random.default_rng(1).standard_normal((2, 1, 5, 5)).astype(np.float32)
    want = gmodel(gk.tensor(x)).numpy()
    got = tmodel(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    gk.save(gmodel, p)  # a whole-module file (with architecture metadata) loads too
    tmodel.load_state_dict(load_file(str(p)), strict=True)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_weights_transfer_from_pytorch(tmp_path, kind):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    torch.manual_seed(0)
    tlayer = getattr(torch.nn, kind)(3, 5, num_layers=2, batch_first=True)
    glayer = getattr(nn, kind)(3, 5, num_layers=2, batch_first=True)
    p = tmp_path / "rnn.safetensors"
    save_file(tlayer.state_dict(), str(p))
    report = load_weights(glayer, p, strict=True)
    assert report.skipped == [] and report.missing == []
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    want = tlayer(torch.from_numpy(x))[0].detach().numpy()
    got = glayer(gk.tensor(x))[0].numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
