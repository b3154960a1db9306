"""gk.onnx.export: onnxruntime's output equals gradkit's, per layer and for every model preset."""

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _run(proto, arrays):
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    return sess.run(None, dict(zip(names, arrays)))


def _expected(model, arrays):
    model.eval()
    with gk.no_grad():
        out = model(*[gk.tensor(a) for a in arrays])
    flat = []

    def walk(o):
        if isinstance(o, gk.Tensor):
            flat.append(o.numpy())
        else:
            for p in o:
                walk(p)
    walk(out)
    return flat


def roundtrip(model, *shapes, batch2=5, dtype=np.float32, ints=None, tmp_path=None, rtol=1e-4, atol=1e-5):
    """Export on one batch, then check onnxruntime on it and on a batch of another size."""
    rng = np.random.default_rng(0)

    def make(b):
        return [rng.integers(0, ints, size=(b,) + s).astype(np.int64) if ints else
                rng.standard_normal((b,) + s).astype(dtype) for s in shapes]
    example = make(3)
    names = [f"input_{i}" for i in range(len(shapes))]
    dyn = {n: {0: "batch"} for n in names}
    proto = gk.onnx.export(model, tuple(gk.tensor(a) for a in example), None if tmp_path is None else
                           tmp_path / "m.onnx", dynamic_axes=dyn)
    for arrays in (example, make(batch2)):
        got, want = _run(proto, arrays), _expected(model, arrays)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
    return proto


LAYERS = [
    ("linear", lambda: nn.Linear(6, 4), [(6,)]),
    ("linear_3d", lambda: nn.Linear(6, 4), [(7, 6)]),
    ("linear_nobias", lambda: nn.Linear(6, 4, bias=False), [(6,)]),
    ("conv2d", lambda: nn.Conv2d(3, 5, 3, stride=2, padding=1), [(3, 9, 9)]),
    ("conv2d_groups_dil", lambda: nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2), [(4, 8, 8)]),
    ("conv2d_same", lambda: nn.Conv2d(2, 3, 4, padding="same"), [(2, 7, 7)]),
    ("conv2d_reflect", lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"), [(2, 6, 6)]),
    ("conv1d_replicate", lambda: nn.Conv1d(2, 3, 3, padding=2, padding_mode="replicate"), [(2, 9)]),
    ("conv1d", lambda: nn.Conv1d(3, 4, 5, stride=2, padding=2), [(3, 20)]),
    ("maxpool2d", lambda: nn.MaxPool2d(2), [(3, 8, 8)]),
    ("maxpool2d_pad_ceil", lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), [(2, 9, 9)]),
    ("maxpool1d", lambda: nn.MaxPool1d(3, stride=2), [(2, 11)]),
    ("avgpool2d", lambda: nn.AvgPool2d(2, padding=1, count_include_pad=False), [(3, 7, 7)]),
    ("avgpool1d", lambda: nn.AvgPool1d(2), [(3, 8)]),
    ("adaptive_avg2d", lambda: nn.AdaptiveAvgPool2d((2, 2)), [(3, 8, 6)]),
    ("adaptive_avg2d_1", lambda: nn.AdaptiveAvgPool2d(1), [(3, 5, 5)]),
    ("adaptive_avg1d", lambda: nn.AdaptiveAvgPool1d(1), [(3, 5)]),
    ("global_avg", lambda: nn.GlobalAvgPool2d(), [(3, 5, 5)]),
    ("batchnorm1d", lambda: _stats(nn.BatchNorm1d(6), (6,)), [(6,)]),
    ("batchnorm2d", lambda: _stats(nn.BatchNorm2d(3), (3, 4, 4)), [(3, 4, 4)]),
    ("layernorm", lambda: nn.LayerNorm([4, 5]), [(3, 4, 5)]),
    ("embedding", lambda: nn.Embedding(10, 4), [(7,)]),
    ("relu", nn.ReLU, [(5,)]), ("sigmoid", nn.Sigmoid, [(5,)]), ("tanh", nn.Tanh, [(5,)]),
    ("leaky", lambda: nn.LeakyReLU(0.2), [(5,)]), ("elu", lambda: nn.ELU(0.7), [(5,)]), ("selu", nn.SELU, [(5,)]),
    ("prelu", lambda: nn.PReLU(3, init=0.1), [(3, 4, 4)]), ("prelu1", nn.PReLU, [(5,)]),
    ("softplus", lambda: nn.Softplus(beta=2.0, threshold=3.0), [(5,)]),
    ("gelu", nn.GELU, [(5,)]), ("gelu_tanh", lambda: nn.GELU(approximate="tanh"), [(5,)]),
    ("softmax", lambda: nn.Softmax(dim=-1), [(5,)]), ("logsoftmax", lambda: nn.LogSoftmax(dim=1), [(5,)]),
    ("threshold", lambda: nn.Threshold(0.1, -2.0), [(5,)]),
    ("dropout", lambda: nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)), [(4,)]),
    ("flatten", nn.Flatten, [(2, 3, 4)]), ("flatten_mid", lambda: nn.Flatten(1, 2), [(2, 3, 4)]),
    ("unflatten", lambda: nn.Unflatten(1, (2, 6)), [(12,)]),
    ("convtranspose2d", lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), [(3, 5, 5)]),
    ("convtranspose2d_groups", lambda: nn.ConvTranspose2d(4, 6, 2, stride=2, groups=2, dilation=1), [(4, 3, 3)]),
    ("convtranspose1d", lambda: nn.ConvTranspose1d(3, 2, 4, stride=3, padding=1), [(3, 7)]),
    ("encoder_layer", lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True), [(5, 8)]),
    ("encoder_prenorm_gelu", lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(
        8, 2, 16, activation="gelu", norm_first=True, batch_first=True), 2, norm=nn.LayerNorm(8)), [(5, 8)]),
]


def _stats(bn, shape):
    bn.train()
    with gk.no_grad():
        for _ in range(3):
            bn(gk.randn(8, *shape) * 2 + 1)
    return bn


@pytest.mark.parametrize("name,make,shapes", LAYERS, ids=[c[0] for c in LAYERS])
def test_each_layer_matches_onnxruntime(name, make, shapes):
    gk.manual_seed(1)
    roundtrip(make(), *shapes, ints=10 if name == "embedding" else None)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first,layers,bidir", [(True, 1, False), (False, 2, True), (True, 2, False)])
def test_recurrent_layers_match_onnxruntime(mode, batch_first, layers, bidir):
    gk.manual_seed(2)
    m = getattr(nn, mode)(4, 6, num_layers=layers, bidirectional=bidir, batch_first=batch_first)

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = m

        def forward(self, x):
            return self.rnn(x if batch_first else x.transpose(0, 1))

    roundtrip(Wrap(), (5, 4), rtol=1e-4, atol=2e-5)


def test_rnn_with_initial_state():
    gk.manual_seed(3)
    lstm = nn.LSTM(3, 4, num_layers=2, batch_first=True)
    x, h, c = gk.randn(2, 5, 3), gk.randn(2, 2, 4), gk.randn(2, 2, 4)

    class WithState(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lstm

        def forward(self, x, h, c):
            return self.lstm(x, (h.transpose(0, 1), c.transpose(0, 1)))

    arrays = [x.numpy(), h.numpy().transpose(1, 0, 2).copy(), c.numpy().transpose(1, 0, 2).copy()]
    proto = gk.onnx.export(WithState(), tuple(gk.tensor(a) for a in arrays))
    for g, w in zip(_run(proto, arrays), _expected(WithState(), arrays)):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=2e-5)


def test_glue_ops_between_layers():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(6, 6), nn.Linear(6, 3)

        def forward(self, x):
            h = gk.nn.functional.relu(self.a(x)) + x          # residual
            h = (h * 2 - 1) / 3 + h.sigmoid() ** 2
            z = gk.cat([h, h.tanh()], dim=1).reshape(h.shape[0], 2, 6).permute(0, 2, 1)
            z = z[:, 1:5, 0] + z.sum(dim=2, keepdim=True)[:, :4, 0].clamp(-1, 1)
            return gk.nn.functional.softmax(self.b(gk.cat([z, z[:, :2]], dim=1)), dim=-1)

    gk.manual_seed(4)
    roundtrip(Net(), (6,))


PRESETS = [
    ("mlp", lambda: gk.models.MLP([8, 16, 3], activation="tanh", batchnorm=True, dropout=0.1), [(8,)]),
    ("logistic", lambda: gk.models.LogisticRegression(8, 3), [(8,)]),
    ("snn", lambda: gk.models.SelfNormalizingNet(8, 16, 2, 3), [(8,)]),
    ("lenet5", lambda: gk.models.LeNet5(), [(1, 28, 28)]),
    ("smallresnet", lambda: gk.models.SmallResNet(in_channels=3, widths=(4, 8, 8)), [(3, 16, 16)]),
    ("fullyconv", lambda: gk.models.FullyConvNet(widths=(4, 8)), [(1, 12, 12)]),
    ("mnist1dcnn", lambda: gk.models.MNIST1DCNN(channels=5), [(40,)]),
    ("digitscnn", lambda: gk.models.DigitsCNN(width=8), [(1, 8, 8)]),
    ("seqclf", lambda: gk.models.SequenceClassifier(input_size=3, hidden_size=5, num_classes=2), [(7, 3)]),
    ("seqtag", lambda: gk.models.SequenceTagger(input_size=3, hidden_size=5, num_tags=4, cell="gru"), [(7, 3)]),
    ("mnist1dgru", lambda: gk.models.MNIST1DGRU(hidden_size=6), [(40,)]),
    ("rbf", lambda: gk.models.RBFNetwork(4, 5, 2), [(4,)]),
]


@pytest.mark.parametrize("name,make,shapes", PRESETS, ids=[p[0] for p in PRESETS])
def test_every_preset_matches_onnxruntime(name, make, shapes, tmp_path):
    gk.manual_seed(5)
    roundtrip(make(), *shapes, tmp_path=tmp_path, rtol=1e-4, atol=3e-5)
    assert (tmp_path / "m.onnx").stat().st_size > 0


def test_multihead_attention_with_weights():
    gk.manual_seed(6)

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            return self.mha(x, x, x)  # the output and the head-averaged weights

    rng = np.random.default_rng(0)
    model = SelfAttention()
    x = rng.standard_normal((3, 5, 8)).astype(np.float32)
    proto = gk.onnx.export(model, gk.tensor(x), dynamic_axes={"input_0": {0: "b"}, "output_0": {0: "b"},
                                                              "output_1": {0: "b"}})
    for arr in (x, rng.standard_normal((2, 5, 8)).astype(np.float32)):
        for got, want in zip(_run(proto, [arr]), _expected(model, [arr])):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_unsupported_layer_is_named_and_no_file_is_left(tmp_path):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 3)

        def forward(self, x):
            return gk.nn.functional.cross_entropy(self.lin(x), gk.tensor([0, 1]))

    with pytest.raises(gk.onnx.OnnxExportError, match="_CrossEntropy .*has no ONNX rule"):
        gk.onnx.export(Net(), gk.randn(2, 4), tmp_path / "bad.onnx")
    assert list(tmp_path.iterdir()) == []


def test_a_value_computed_from_the_input_outside_the_graph_is_refused():
    class ArgmaxNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 3)

        def forward(self, x):
            y = self.lin(x)
            return y + y.argmax(dim=1).float().unsqueeze(1)  # argmax is not recorded: a baked constant

    with pytest.raises(gk.onnx.OnnxExportError, match="depends on the input"):
        gk.onnx.export(ArgmaxNet(), gk.randn(5, 4))


def test_missing_folder_and_bad_names_are_refused(tmp_path):
    net = nn.Linear(3, 2)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gk.onnx.export(net, gk.randn(2, 3), tmp_path / "nope" / "m.onnx")
    with pytest.raises(ValueError, match="input_names"):
        gk.onnx.export(net, gk.randn(2, 3), input_names=["a", "b"])
    with pytest.raises(ValueError, match="opset_version"):
        gk.onnx.export(net, gk.randn(2, 3), opset_version=9)


def test_names_training_mode_and_shared_weights(tmp_path):
    lin = nn.Linear(3, 3)
    net = nn.Sequential(lin, nn.Dropout(0.5), lin)  # the same layer twice: one initializer
    net.train()
    proto = gk.onnx.export(net, gk.randn(2, 3), tmp_path / "m.onnx", input_names=["x"], output_names=["y"],
                           dynamic_axes={"x": {0: "batch"}, "y": [0]})
    assert net.training  # restored
    assert [i.name for i in proto.graph.input] == ["x"] and [o.name for o in proto.graph.output] == ["y"]
    assert len(proto.graph.initializer) == 2
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    loaded = onnx.load(str(tmp_path / "m.onnx"))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    net.eval()
    np.testing.assert_allclose(_run(loaded, [x])[0], net(gk.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
