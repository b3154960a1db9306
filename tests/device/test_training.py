"""Training on the device: optimizers (flat buffers, threads), fit with a DataLoader, metrics,
callbacks, the health monitor, checkpoints across devices, Module.to / .cpu."""

import numpy as np
import pytest

import gradkit as gk
from gradkit import backend
from gradkit.optim.registry import OPTIMIZERS

from .conftest import host

CLOSURE_OPTIMIZERS = {"lbfgs", "newton"}


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((64, 5)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    return X, y


def _net():
    gk.manual_seed(0)
    return gk.nn.Sequential(gk.nn.Linear(5, 8), gk.nn.Tanh(), gk.nn.Linear(8, 2))


def _train(name, device, steps=4, threads=1):
    X, y = _problem()
    net = _net().to(device)
    opt = OPTIMIZERS[name](net.parameters(), lr=0.05) if name not in CLOSURE_OPTIMIZERS else OPTIMIZERS[name](
        net.parameters())
    xb, yb = gk.tensor(X, device=device), gk.tensor(y, device=device)
    loss_fn = gk.nn.CrossEntropyLoss()
    old = gk.get_num_threads()
    gk.set_num_threads(threads)
    try:
        for _ in range(steps):
            def closure():
                opt.zero_grad()
                loss = loss_fn(net(xb), yb)
                if getattr(opt, "closure_calls_backward", True):
                    loss.backward(create_graph=getattr(opt, "needs_create_graph", False))
                return loss

            if name in CLOSURE_OPTIMIZERS:
                opt.step(closure)
            else:
                closure()
                opt.step()
    finally:
        gk.set_num_threads(old)
    return net, opt


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_steps_on_the_device_like_on_the_cpu(name):
    cpu, _ = _train(name, "cpu")
    dev, opt = _train(name, "cuda", threads=2)  # the threaded flat update is CPU-only by construction
    for pc, pd in zip(cpu.parameters(), dev.parameters()):
        assert pd.device == "cuda" and pd.grad.device == "cuda"
        np.testing.assert_allclose(host(pd), host(pc), rtol=2e-5, atol=2e-6)
    for b in getattr(opt, "_buckets", {}).values():
        for bucket in b[1]:
            assert bucket.chunks == [(0, bucket.numel)] and backend.is_cupy_array(bucket.array)
    state = opt.state_dict()  # plain host arrays and numbers: checkpointable
    for st in state["state"].values():
        for v in st.values():
            assert not backend.is_cupy_array(v)
    opt.load_state_dict(state)


def test_fit_with_a_dataloader_metrics_and_callbacks_on_the_device(tmp_path):
    X, y = _problem()
    net = _net().to("cuda")
    ds = gk.data.TensorDataset(gk.tensor(X, device="cuda"), gk.tensor(y, device="cuda"))
    loader = gk.data.DataLoader(ds, batch_size=16, shuffle=True)
    health = gk.diagnose.TrainingHealth(verbose=False)
    stop = gk.train.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    cbs = gk.train.callbacks
    others = [cbs.ModelCheckpoint(str(tmp_path / "best.safetensors"), monitor="val_loss", save_best_only=True),
              cbs.CSVLogger(tmp_path / "h.csv"), cbs.TerminateOnNaN(), gk.diagnose.BiasVarianceVerdict(verbose=False)]
    hist = gk.train.fit(net, gk.nn.CrossEntropyLoss(), "adam", loader, (gk.tensor(X[:32], device="cuda"),
                  gk.tensor(y[:32], device="cuda")), epochs=3, metrics=["accuracy"],
                  callbacks=[health, stop, *others], lr=0.05, verbose=0, checkpoint=str(tmp_path / "run.safetensors"))
    assert len(hist["loss"]) == 3 and hist["loss"][-1] < hist["loss"][0]
    assert 0.0 <= hist["val_accuracy"][-1] <= 1.0
    assert health.records and all(p.device == "cuda" for p in net.parameters())
    assert (tmp_path / "best.safetensors").exists() and (tmp_path / "h.csv").exists()
    best = gk.load_model(tmp_path / "best.safetensors")
    assert all(p.device == "cpu" for p in best.parameters())
    pred = gk.train.predict(net, gk.tensor(X, device="cuda"))
    assert isinstance(pred, np.ndarray) and pred.shape == (64, 2)
    res = gk.train.evaluate(net, gk.nn.CrossEntropyLoss(), (gk.tensor(X, device="cuda"), gk.tensor(y, device="cuda")),
                      metrics=["accuracy"])
    assert res["accuracy"] > 0.5


def test_fit_moves_host_batches_to_the_model_device():
    X, y = _problem()
    net = _net().to("cuda")
    hist = gk.train.fit(net, gk.nn.CrossEntropyLoss(), "sgd", (X, y), (X, y), epochs=2, lr=0.1, verbose=0,
                  metrics=["accuracy"])
    assert len(hist["val_loss"]) == 2 and all(p.device == "cuda" for p in net.parameters())


def test_health_report_on_the_device():
    X, y = _problem()
    net = _net().to("cuda")
    rep = gk.diagnose.health_report(net, gk.nn.CrossEntropyLoss(), gk.tensor(X, device="cuda"),
                                    gk.tensor(y, device="cuda"))
    assert rep.layers


def test_metrics_take_device_arrays():
    scores = gk.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], device="cuda")
    target = gk.tensor([1, 0, 0], device="cuda")
    assert gk.train.metrics.accuracy(scores.array, target.array) == pytest.approx(2 / 3)
    cm = gk.train.metrics.confusion_matrix(scores.array, target.array)
    assert isinstance(cm, np.ndarray) and cm.sum() == 3


def test_checkpoints_cross_devices(tmp_path):
    X, _ = _problem()
    net = _net().to("cuda")
    opt = gk.optim.Adam(net.parameters(), lr=0.01)
    net(gk.tensor(X, device="cuda")).sum().backward()
    opt.step()
    path = tmp_path / "m.safetensors"
    gk.save(net, path)  # saved from the device
    back = gk.load_model(path)  # loaded onto the CPU
    assert all(p.device == "cpu" for p in back.parameters())
    for a, b in zip(net.parameters(), back.parameters()):
        np.testing.assert_array_equal(host(a), b.numpy())
    again = gk.load_model(path, device="cuda")
    assert all(p.device == "cuda" for p in again.parameters())
    ck = tmp_path / "ck.safetensors"
    gk.io.save_checkpoint(ck, model=net, optimizer=opt, epoch=1)
    fresh = _net().to("cuda")
    fresh_opt = gk.optim.Adam(fresh.parameters(), lr=0.01)
    gk.io.restore_checkpoint(gk.io.load_checkpoint(ck), model=fresh, optimizer=fresh_opt)
    assert all(p.device == "cuda" for p in fresh.parameters())
    for a, b in zip(net.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(host(a), host(b))
    y1 = net(gk.tensor(X, device="cuda"))
    y2 = fresh(gk.tensor(X, device="cuda"))
    np.testing.assert_array_equal(host(y1), host(y2))


def test_module_to_and_cpu_round_trip():
    net = gk.nn.Sequential(gk.nn.Conv2d(1, 2, 3), gk.nn.BatchNorm2d(2), gk.nn.ReLU(), gk.nn.Flatten(),
                           gk.nn.Linear(2 * 4 * 4, 3))
    x = gk.randn(2, 1, 6, 6)
    y_cpu = net.eval()(x)
    net.to("cuda")
    assert all(t.device == "cuda" for t in list(net.parameters()) + list(net.buffers()))
    y_dev = net(x.to("cuda"))
    np.testing.assert_allclose(host(y_dev), y_cpu.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="cuda"):
        net(x)
    net.cpu()
    assert all(t.device == "cpu" for t in list(net.parameters()) + list(net.buffers()))
    np.testing.assert_allclose(net(x).numpy(), y_cpu.numpy(), rtol=1e-6)
    sd = net.to("cuda").state_dict()
    assert all(v.device == "cuda" for v in sd.values())


def test_a_broadcast_gradient_is_copied_before_it_becomes_a_grad():
    """CuPy has no read-only flag: a zero-stride (broadcast) gradient must not become .grad, where an
    in-place update (clip_grad_norm_) would write one element many times over."""
    w = gk.ones(3, 4, requires_grad=True, device="cuda")
    w.sum().backward()
    assert 0 not in w.grad.array.strides
    gk.optim.clip_grad_norm_([w], 1.0)
    np.testing.assert_allclose(host(w.grad), np.full((3, 4), 1 / np.sqrt(12)), rtol=1e-6)


def test_a_cpu_scalar_may_meet_a_device_tensor_and_gets_its_gradient_home():
    """An element of a CPU tensor is a NumPy scalar, which CuPy takes with its arrays (as PyTorch takes
    0-d CPU tensors with CUDA ones): the product works, and the CPU tensor's gradient stays on the CPU."""
    s = gk.tensor([2.0, 5.0], requires_grad=True)
    v = gk.tensor([1.0, 3.0], requires_grad=True, device="cuda")
    (s[0] * v).sum().backward()
    assert s.grad.device == "cpu" and s.grad.tolist() == [4.0, 0.0]
    assert v.grad.device == "cuda" and v.grad.tolist() == [2.0, 2.0]


def test_fit_with_a_learned_multitask_loss_on_the_device():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 3)).astype(np.float32)
    y = {"a": (X[:, 0] > 0).astype(np.int64), "b": X[:, 1:2].astype(np.float32)}
    model = gk.nn.MultiTaskModel(gk.nn.Linear(3, 8), {"a": gk.nn.Linear(8, 2), "b": gk.nn.Linear(8, 1)}).to("cuda")
    loss = gk.nn.MultiTaskLoss({"a": "cross_entropy", "b": "mse"}, weights="uncertainty")  # built on the CPU
    hist = gk.train.fit(model, loss, "adam", (X, y), epochs=2, lr=0.01, verbose=0, batch_size=8)
    assert len(hist["loss"]) == 2 and loss.log_vars.device == "cuda" and loss.log_vars.grad.device == "cuda"
