"""gk.onnx.load: ONNX graphs (gradkit's, onnx.helper's, torch.onnx.export's) run, match and fine-tune."""

import io
import warnings

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from .test_export import LAYERS, PRESETS, _expected  # noqa: E402


def _ort(proto, arrays):
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {i.name: a for i, a in zip(sess.get_inputs(), arrays)})


def _same(model, arrays, want, rtol=1e-4, atol=2e-5):
    with gk.no_grad():
        got = model(*[gk.tensor(a) for a in arrays])
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name,make,shapes", LAYERS + PRESETS, ids=[c[0] for c in LAYERS + PRESETS])
def test_gradkit_to_onnx_to_gradkit(name, make, shapes):
    gk.manual_seed(7)
    model = make()
    rng = np.random.default_rng(1)
    ints = name == "embedding"
    arrays = [rng.integers(0, 10, (4,) + s).astype(np.int64) if ints else
              rng.standard_normal((4,) + s).astype(np.float32) for s in shapes]
    proto = gk.onnx.export(model, tuple(gk.tensor(a) for a in arrays), dynamic_axes={"input_0": {0: "b"}})
    back = gk.onnx.load(proto)
    _same(back, arrays, _expected(model, arrays))
    other = [a[:2] for a in arrays]  # another batch size
    _same(back, other, _expected(model, other))


def _helper_model(nodes, inputs, outputs, inits, opset=17):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=[numpy_helper.from_array(v, k)
                                                                    for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 9
    return m


def test_graph_written_with_onnx_helper_matches_onnxruntime():
    rng = np.random.default_rng(0)
    inits = {
        "W": rng.standard_normal((3, 2, 3, 3)).astype(np.float32), "Wg": rng.standard_normal((36, 5)).astype(np.float32),
        "bg": rng.standard_normal(5).astype(np.float32), "shape": np.array([0, -1], np.int64),
        "starts": np.array([-1, 0], np.int64), "ends": np.array([-2 ** 62, 3], np.int64),
        "axes": np.array([2, 3], np.int64), "steps": np.array([-2, 1], np.int64), "ax1": np.array([1], np.int64),
    }
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"], pads=[0, 1, 2, 1], strides=[1, 2]),  # asymmetric pads
        helper.make_node("LeakyRelu", ["c"], ["r"], alpha=0.3),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], pads=[1, 0, 0, 1]),
        helper.make_node("Slice", ["p", "starts", "ends", "axes", "steps"], ["s"]),
        helper.make_node("Reshape", ["s", "shape"], ["f"]),
        helper.make_node("Gemm", ["f", "Wg", "bg"], ["gm"], alpha=0.5, beta=2.0),
        helper.make_node("Unsqueeze", ["gm", "ax1"], ["u"]),
        helper.make_node("ReduceMean", ["u"], ["m"], axes=[1], keepdims=0),
        helper.make_node("Softmax", ["m"], ["y"], axis=-1),
    ]
    model = _helper_model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 2, 7, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["b", 5])], inits)
    onnx.checker.check_model(model)
    x = rng.standard_normal((3, 2, 7, 8)).astype(np.float32)
    # conv (3, 3, 7, 4) -> pool (3, 3, 7, 4) -> slice (3, 3, 4, 3) -> reshape (3, 36) -> gemm (3, 5)
    _same(gk.onnx.load(model), [x], _ort(model, [x]))


def test_unknown_operators_are_all_named_at_load_time():
    nodes = [helper.make_node("Hardmax", ["x"], ["a"]), helper.make_node("Det", ["a"], ["y"])]
    model = _helper_model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [])], {})
    with pytest.raises(gk.onnx.OnnxImportError, match=r"\['Det', 'Hardmax'\]"):
        gk.onnx.load(model)


def test_missing_and_damaged_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no ONNX file"):
        gk.onnx.load(tmp_path / "none.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07garbage-not-a-protobuf" * 3)
    with pytest.raises(gk.onnx.OnnxImportError):
        gk.onnx.load(bad)


def test_loaded_model_fine_tunes():
    gk.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 1))
    back = gk.onnx.load(gk.onnx.export(net, gk.randn(2, 4)))
    params = list(back.parameters())
    assert len(params) == 4 and all(p.requires_grad for p in params)
    x = gk.randn(64, 4)
    y = (x[:, :1] * 2 - x[:, 1:2]).tanh()
    opt = gk.optim.Adam(back.parameters(), lr=1e-2)
    losses = []
    for _ in range(150):
        loss = ((back(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
    sd = back.state_dict()
    assert set(sd) == set(back.param_names.values())


def test_loaded_graph_gradients_pass_gradcheck():
    gk.manual_seed(0)
    net = nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.ELU(), nn.Flatten(), nn.Linear(15, 2), nn.LogSoftmax(1))
    back = gk.onnx.load(gk.onnx.export(net, gk.randn(2, 2, 5)))
    back.double()
    x = gk.randn(2, 2, 5, dtype="float64", requires_grad=True)
    res = gk.diagnose.gradcheck(lambda x: back(x).sum() if False else (back(x) ** 2).sum(), [x])
    assert res.passed, res


torch = None


def _torch_export(model, args, **kw):
    b = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, args, b, dynamo=False, opset_version=17, **kw)
    return onnx.load_from_string(b.getvalue())


@pytest.mark.parametrize("arch", ["mlp", "cnn", "lstm", "gru"])
def test_models_exported_by_pytorch_load_and_run(arch):
    global torch
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    T = torch.nn
    if arch == "mlp":
        m, x = T.Sequential(T.Linear(6, 8), T.GELU(), T.Dropout(0.2), T.Linear(8, 3), T.LogSoftmax(-1)), torch.randn(4, 6)
    elif arch == "cnn":
        m = T.Sequential(T.Conv2d(1, 4, 3, padding=1), T.BatchNorm2d(4), T.ReLU(), T.MaxPool2d(2),
                         T.Conv2d(4, 4, 3, stride=2), T.AdaptiveAvgPool2d(1), T.Flatten(), T.Linear(4, 2))
        x = torch.randn(3, 1, 12, 12)
    else:
        cell = T.LSTM if arch == "lstm" else T.GRU

        class Seq(T.Module):
            def __init__(self):
                super().__init__()
                self.rnn = cell(3, 5, num_layers=2, batch_first=True, bidirectional=True)
                self.head = T.Linear(10, 2)

            def forward(self, x):
                y, _ = self.rnn(x)
                return self.head(y[:, -1])
        m, x = Seq(), torch.randn(2, 6, 3)
    m.eval()
    proto = _torch_export(m, (x,), input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "b"}, "y": {0: "b"}})
    back = gk.onnx.load(proto)
    with torch.no_grad():
        want = m(x).numpy()
    _same(back, [x.numpy()], [want], rtol=1e-4, atol=3e-5)
    x2 = torch.randn(5, *x.shape[1:])
    with torch.no_grad():
        _same(back, [x2.numpy()], [m(x2).numpy()], rtol=1e-4, atol=3e-5)
