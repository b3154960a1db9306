"""Losses, models, data, diagnostics and Tensor conveniences on the device."""

import importlib

import numpy as np
import pytest

import gradkit as gk
from gradkit import backend
from gradkit.nn import loss as L

from .conftest import host


def _on(device, fn):
    """``fn()`` with ``device`` as the default device (constants made inside land there)."""
    gk.set_default_device(device)
    try:
        gk.manual_seed(0)
        return fn()
    finally:
        gk.set_default_device("cpu")


def _ce_cases():
    try:
        mod = importlib.import_module("tests.nn.test_losses")
    except ImportError:  # pragma: no cover
        return {}
    return {f"{c}-{r}": (make, r) for c, make in getattr(mod, "CE_CASES", {}).items() for r in ("mean", "sum", "none")}


CE = _ce_cases()


@pytest.mark.parametrize("name", sorted(CE))
def test_cross_entropy_cases_on_device(name):
    make, reduction = CE[name]
    res = []
    for dev in ("cpu", "cuda"):
        def run():
            x = gk.tensor(np.random.default_rng(3).standard_normal((5, 4)), requires_grad=True)
            loss = gk.nn.functional.cross_entropy(x, reduction=reduction, **make())
            loss.sum().backward()
            return host(loss), host(x.grad), loss.device
        res.append(_on(dev, run))
    (lc, gc, _), (ld, gd, devd) = res
    assert devd == "cuda"
    np.testing.assert_allclose(ld, lc, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gd, gc, rtol=1e-12, atol=1e-15)


def _loss_inputs(cls):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3))
    if cls in (L.CrossEntropyLoss, L.MultiMarginLoss):
        return x, rng.integers(0, 3, 6)
    if cls is L.NLLLoss:
        return x - np.log(np.exp(x).sum(1, keepdims=True)), rng.integers(0, 3, 6)
    if cls is L.BCELoss:
        return 1 / (1 + np.exp(-x)), (rng.random((6, 3)) > 0.5).astype(np.float64)
    if cls is L.BCEWithLogitsLoss:
        return x, (rng.random((6, 3)) > 0.5).astype(np.float64)
    if cls in (L.HingeLoss, L.PerceptronLoss, L.HingeEmbeddingLoss):
        return x, np.where(rng.random((6, 3)) > 0.5, 1.0, -1.0)
    return x, rng.standard_normal((6, 3))


LOSSES = sorted({c for c in vars(L).values() if isinstance(c, type) and issubclass(c, L._Loss) and c is not L._Loss},
                key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", LOSSES, ids=[c.__name__ for c in LOSSES])
def test_every_loss_module_on_device(cls):
    x, y = _loss_inputs(cls)
    res = []
    for dev in ("cpu", "cuda"):
        xt = gk.tensor(x, requires_grad=True, device=dev)
        loss = cls()(xt, gk.tensor(y, device=dev))
        loss.backward()
        assert loss.device == dev and xt.grad.device == dev
        res.append((host(loss), host(xt.grad)))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-12)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-12)


MODELS = [
    ("LeNet5", lambda: gk.models.LeNet5(), (2, 1, 28, 28)),
    ("SmallResNet", lambda: gk.models.SmallResNet(), (2, 3, 16, 16)),
    ("DigitsCNN", lambda: gk.models.DigitsCNN(), (2, 1, 8, 8)),
    ("MNIST1DCNN", lambda: gk.models.MNIST1DCNN(), (2, 1, 40)),
    ("MNIST1DGRU", lambda: gk.models.MNIST1DGRU(), (2, 40)),
]


@pytest.mark.parametrize("name,make,shape", MODELS, ids=[m[0] for m in MODELS])
def test_ready_made_models_train_a_step_on_device(name, make, shape):
    gk.manual_seed(0)
    m = make()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    outs = []
    for dev in ("cpu", "cuda"):
        m.to(dev).eval()
        with gk.no_grad():
            outs.append(host(m(gk.tensor(x, device=dev))))
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-4, atol=1e-5)
    m.train()
    y = gk.tensor(np.arange(shape[0]) % 2, device="cuda")
    gk.nn.CrossEntropyLoss()(m(gk.tensor(x, device="cuda")), y).backward()
    assert all(p.grad is None or p.grad.device == "cuda" for p in m.parameters())


def test_tensor_conveniences_on_device():
    t = gk.tensor([[1.0, -2.0], [3.0, 4.0]], device="cuda")
    assert "device='cuda" in repr(t) and t.tolist() == [[1.0, -2.0], [3.0, 4.0]]
    assert (t == None) is False or not bool((t == None).any())  # noqa: E711 - PyTorch's answer
    assert (t > 0).device == "cuda" and t[t > 0].tolist() == [1.0, 3.0, 4.0]
    assert t.argmax().item() == 3 and t.nonzero().device == "cuda"
    assert gk.where(t > 0, t, gk.zeros_like(t)).device == "cuda"
    assert gk.zeros_like(t).device == "cuda" and gk.randn_like(t).device == "cuda"
    assert t.clone().device == "cuda" and t.detach().device == "cuda"
    assert t.double().device == "cuda" and t.to(dtype="int64").device == "cuda"
    u = t.clone()
    u[0, 0] = 5.0
    u[1] = gk.tensor([7.0, 8.0], device="cuda")
    assert u.tolist() == [[5.0, -2.0], [7.0, 8.0]]
    assert np.allclose(t.numpy(), [[1, -2], [3, 4]]) and float(t.sum()) == 6.0


def test_clipping_schedules_and_averaging_on_device():
    net = gk.nn.Linear(3, 2).to("cuda")
    opt = gk.optim.SGD(net.parameters(), lr=0.1)
    sched = gk.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    net(gk.randn(4, 3, device="cuda")).sum().backward()
    norm = gk.optim.clip_grad_norm_(net.parameters(), 0.1)
    assert float(norm) > 0
    gk.optim.clip_grad_value_(net.parameters(), 0.01)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)
    vec = gk.nn.utils.parameters_to_vector(net.parameters())
    assert vec.device == "cuda"
    gk.nn.utils.vector_to_parameters(vec * 0, net.parameters())
    assert all(float(abs(p).sum()) == 0 for p in net.parameters())


def test_data_pipeline_on_device():
    X = gk.tensor(np.random.default_rng(0).standard_normal((20, 3)), device="cuda")
    y = gk.tensor(np.arange(20) % 2, device="cuda")
    ds = gk.data.TensorDataset(X, y)
    xb, yb = next(iter(gk.data.DataLoader(ds, batch_size=8, shuffle=True)))
    assert xb.device == "cuda" and yb.device == "cuda" and xb.shape == (8, 3)
    std = gk.data.Standardize(axis=0).fit(X.array)
    out = std.transform(X.array)
    assert backend.is_cupy_array(out) or isinstance(out, np.ndarray)
    np.testing.assert_allclose(backend.to_numpy(out).mean(0), 0, atol=1e-6)


AUGMENTATIONS = [
    ("flip", lambda A, P: A.RandomHorizontalFlip(1.0)),
    ("crop", lambda A, P: A.RandomCrop(8, padding=1)),
    ("rotation", lambda A, P: A.RandomRotation(10)),
    ("noise", lambda A, P: A.GaussianNoise(0.1)),
    ("elastic", lambda A, P: A.ElasticDistortion(alpha=4.0, sigma=2.0)),
    ("brightness", lambda A, P: P.RandomBrightness(0.2)),
    ("contrast", lambda A, P: P.RandomContrast(0.8, 1.2)),
    ("jitter", lambda A, P: P.ColorJitter(0.2, 0.2, 0.2)),
    ("resize", lambda A, P: P.Resize(6)),
    ("resized_crop", lambda A, P: P.RandomResizedCrop(6)),
    ("compose", lambda A, P: A.Compose([A.RandomCrop(8, padding=1), A.RandomRotation(10)])),
]


@pytest.mark.parametrize("name,make", AUGMENTATIONS, ids=[a[0] for a in AUGMENTATIONS])
def test_augmentations_keep_device_batches_on_the_device(name, make):
    from gradkit.data import augmentation as A
    from gradkit.data import photometric as P

    channels = 3 if name == "jitter" else 1
    x = np.random.default_rng(0).random((4, channels, 8, 8)).astype(np.float32)
    gk.manual_seed(5)
    cpu = make(A, P)(x)
    gk.manual_seed(5)
    dev = make(A, P)(backend.to_device(x, "cuda"))
    assert backend.device_of(dev) == "cuda", f"{name} returned a host batch for a device batch"
    np.testing.assert_allclose(backend.to_numpy(dev), cpu, rtol=1e-5, atol=1e-6)


def test_diagnostics_on_device():
    X = np.random.default_rng(0).standard_normal((16, 3))
    y = np.arange(16) % 2
    net = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.Tanh(), gk.nn.Linear(4, 2)).to("cuda")
    xt, yt = gk.tensor(X, device="cuda"), gk.tensor(y, device="cuda")
    rep = gk.diagnose.gradcheck_model(net, gk.nn.CrossEntropyLoss(), xt, yt, l2=0.1)
    assert rep.passed, str(rep)
    gk.nn.CrossEntropyLoss()(net(xt.float()), yt).backward()
    assert gk.diagnose.grad_flow(net)
    assert gk.diagnose.activation_stats(net, xt.float())


def test_weights_exchange_with_torch_from_the_device(tmp_path):
    torch = pytest.importorskip("torch")
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    net = gk.nn.Sequential(gk.nn.Linear(3, 4), gk.nn.ReLU(), gk.nn.Linear(4, 2)).to("cuda")
    state = {k: v.detach().numpy() for k, v in tnet.state_dict().items()}
    report = gk.io.load_weights(net, state, strict=True)
    assert not report.missing and all(p.device == "cuda" for p in net.parameters())
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(host(net(gk.tensor(x, device="cuda"))), tnet(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_graph_and_summary_of_a_device_model():
    net = gk.nn.Sequential(gk.nn.Conv2d(1, 2, 3), gk.nn.ReLU(), gk.nn.Flatten(), gk.nn.Linear(8, 2)).to("cuda")
    x = gk.randn(2, 1, 4, 4, device="cuda")
    g = gk.viz.graph(net(x).sum(), model=net)
    assert len(g.nodes) > 3
    from gradkit.nn.summary import summary_rows

    rows, totals = summary_rows(net, (1, 4, 4))
    assert totals["total"] == net.num_parameters()


@pytest.mark.parametrize("make", [
    lambda w: gk.nn.CrossEntropyLoss(weight=w), lambda w: gk.nn.NLLLoss(weight=w),
    lambda w: gk.nn.BCEWithLogitsLoss(pos_weight=w), lambda w: gk.nn.BCEWithLogitsLoss(weight=w),
    lambda w: gk.nn.MultiMarginLoss(weight=w),
], ids=["ce", "nll", "bce_pos_weight", "bce_weight", "multi_margin"])
def test_a_loss_built_on_the_cpu_with_weights_takes_device_inputs(make):
    """fit's loss module stays where it was built: its constant weights follow the input's device."""
    x = gk.randn(4, 3, device="cuda", requires_grad=True)
    binary = isinstance(make(gk.ones(3)), gk.nn.BCEWithLogitsLoss)
    y = (x.detach() > 0).float() if binary else gk.tensor([0, 1, 2, 1], device="cuda")
    loss = make(gk.tensor([1.0, 2.0, 3.0]))(x, y)
    loss.backward()
    assert loss.device == "cuda" and x.grad.device == "cuda"
