"""fit as the course uses it: hyperparameter changes on resume, closure optimizers (L-BFGS,
Newton), batch gradient descent, proximal L1 with exact zeros."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.train import callbacks as C


def _blobs(n=100, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] + 0.5 * X[:, 2] > 0).astype(np.int64)
    return X, y


def _setup(seed=0, opt="adam", dropout=0.3):
    gk.manual_seed(seed)
    X, y = _blobs()
    layers = [gk.nn.Linear(4, 16), gk.nn.ReLU()]
    if dropout:
        layers.append(gk.nn.Dropout(dropout))
    net = gk.nn.Sequential(*layers, gk.nn.Linear(16, 2))
    if opt == "adam":
        o = gk.optim.Adam(net.parameters(), lr=0.01)
    else:
        o = gk.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    return X, y, net, o


def _weights(net):
    return {k: v.numpy().copy() for k, v in net.state_dict().items()}


# ---------------------------------------------------------------------- 1. overrides on resume
def test_resume_with_lr_applies_the_new_rate_and_records_it(tmp_path):
    ckpt = tmp_path / "c.safetensors"
    X, y, net, opt = _setup()
    gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=2, batch_size=16, verbose=0, checkpoint=ckpt)
    X, y, net, opt = _setup(seed=7)
    hist = gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=4, batch_size=16, verbose=0, checkpoint=ckpt,
                        resume=ckpt, lr=1e-3)
    assert [g["lr"] for g in opt.param_groups] == [1e-3]
    assert hist["lr"] == [0.01, 0.01, 1e-3, 1e-3]
    assert hist.overrides == [{"epoch": 2, "batch": 0, "changes": {"lr": [0.01, 1e-3]}}]
    # kept in the checkpoint: a later exact resume still shows it
    X, y, net, opt = _setup(seed=8)
    again = gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=4, batch_size=16, verbose=0, resume=ckpt)
    assert again.overrides == hist.overrides and [g["lr"] for g in opt.param_groups] == [1e-3]


def test_resume_with_lr_zero_freezes_the_weights(tmp_path):
    """The override is what the resumed steps use: with lr=0 SGD does not move the weights."""
    ckpt = tmp_path / "c.safetensors"
    X, y, net, opt = _setup(opt="sgd", dropout=0)
    gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=2, batch_size=16, verbose=0, checkpoint=ckpt)
    at_ckpt = _weights(net)
    X, y, net, opt = _setup(seed=3, opt="sgd", dropout=0)
    gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=4, batch_size=16, verbose=0, resume=ckpt, lr=0.0)
    for k, v in _weights(net).items():
        np.testing.assert_array_equal(v, at_ckpt[k], err_msg=k)
    # without the override the restored rate trains on
    X, y, net, opt = _setup(seed=3, opt="sgd", dropout=0)
    gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=4, batch_size=16, verbose=0, resume=ckpt)
    assert not np.array_equal(_weights(net)["0.weight"], at_ckpt["0.weight"])


def test_resume_without_override_stays_bit_exact(tmp_path):
    X, y, net, opt = _setup()
    full = gk.train.fit(net, "cross_entropy", "adam", (X, y), epochs=4, batch_size=16, lr=0.01, verbose=0)
    ref = _weights(net)
    ckpt = tmp_path / "c.safetensors"

    class Kill(C.Callback):
        def on_batch_begin(self, batch, logs=None):
            if self.trainer.epoch == 2 and batch == 2:
                raise KeyboardInterrupt

    X, y, net, opt = _setup()
    gk.train.fit(net, "cross_entropy", "adam", (X, y), epochs=4, batch_size=16, lr=0.01, verbose=0,
                 checkpoint=ckpt, callbacks=[Kill()])
    X, y, net, opt = _setup(seed=9)
    # the same lr as the checkpoint's: nothing changes, nothing is recorded
    resumed = gk.train.fit(net, "cross_entropy", "adam", (X, y), epochs=4, batch_size=16, lr=0.01, verbose=0,
                           resume=ckpt)
    for k, v in _weights(net).items():
        np.testing.assert_array_equal(v, ref[k], err_msg=k)
    assert resumed["loss"] == full["loss"] and resumed.overrides == []


def test_overrides_of_other_hyperparameters_mid_epoch(tmp_path, capsys):
    ckpt = tmp_path / "c.safetensors"

    class Kill(C.Callback):
        def on_batch_begin(self, batch, logs=None):
            if self.trainer.epoch == 1 and batch == 3:
                raise KeyboardInterrupt

    X, y, net, opt = _setup(opt="sgd")
    gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=3, batch_size=16, verbose=0, checkpoint=ckpt,
                 callbacks=[Kill()])
    capsys.readouterr()
    X, y, net, opt = _setup(seed=4, opt="sgd")
    hist = gk.train.fit(net, "cross_entropy", opt, (X, y), epochs=3, batch_size=16, verbose=2, resume=ckpt,
                        optimizer_overrides={"momentum": 0.5, "weight_decay": 1e-4, "nesterov": True})
    assert all(g["momentum"] == 0.5 and g["weight_decay"] == 1e-4 and g["nesterov"] for g in opt.param_groups)
    assert hist.overrides == [{"epoch": 1, "batch": 3, "changes": {"momentum": [0.9, 0.5],
                                                                     "weight_decay": [0.0, 1e-4],
                                                                     "nesterov": [False, True]}}]
    assert "optimizer override at epoch 2: momentum 0.9 -> 0.5" in capsys.readouterr().err
    net2 = gk.nn.Linear(4, 2)
    adam = gk.optim.Adam(net2.parameters())
    gk.train.fit(net2, "cross_entropy", adam, (X, y), epochs=1, verbose=0, optimizer_overrides={"betas": [0.8, 0.99]})
    assert adam.param_groups[0]["betas"] == (0.8, 0.99)


@pytest.mark.parametrize("overrides, err, match", [
    ({"lr": float("nan")}, ValueError, r"optimizer_overrides\['lr'\] must be finite"),
    ({"lr": float("inf")}, ValueError, "must be finite"),
    ({"lr": -0.1}, ValueError, "learning rate"),
    ({"lr": "0.1"}, TypeError, "must be a real number"),
    ({"momentum": 0.9}, ValueError, r"Adam has no hyperparameter 'momentum'; its hyperparameters: .*betas"),
    ({"params": []}, ValueError, "no hyperparameter 'params'"),
    ({"betas": (0.9,)}, TypeError, "sequence of 2 numbers"),
    ({"betas": (0.9, float("nan"))}, ValueError, "must be finite"),
    ({"betas": (1.5, 0.999)}, ValueError, "beta"),
    ({"amsgrad": 1}, TypeError, "True or False"),
])
def test_invalid_overrides_are_refused_before_training(overrides, err, match):
    X, y = _blobs(20)
    net = gk.nn.Linear(4, 2)
    before = _weights(net)
    with pytest.raises(err, match=match):
        gk.train.fit(net, "cross_entropy", gk.optim.Adam(net.parameters()), (X, y), epochs=1, verbose=0,
                     optimizer_overrides=overrides)
    for k, v in _weights(net).items():
        np.testing.assert_array_equal(v, before[k])


def test_lr_and_overrides_must_agree():
    X, y = _blobs(20)
    net = gk.nn.Linear(4, 2)
    with pytest.raises(ValueError, match="disagree"):
        gk.train.fit(net, "cross_entropy", "sgd", (X, y), lr=0.1, optimizer_overrides={"lr": 0.2}, verbose=0)
    with pytest.raises(TypeError, match="optimizer_overrides must be a dict"):
        gk.train.fit(net, "cross_entropy", "sgd", (X, y), optimizer_overrides=[("lr", 0.1)], verbose=0)
    with pytest.raises(ValueError, match="must be finite"):
        gk.train.fit(net, "cross_entropy", gk.optim.SGD(net.parameters(), lr=0.1), (X, y), lr=float("nan"),
                     verbose=0)


# ---------------------------------------------------------------------- 2. closure optimizers
def _logistic_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    logits = X @ np.array([1.5, -2.0, 0.5]) + 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-logits))).astype(np.float64)[:, None]  # noisy: not separable
    return X, y


def _regularized_grad_norm(model, X, y, l2):
    model.zero_grad()
    loss = gk.nn.functional.binary_cross_entropy_with_logits(model(gk.tensor(X)), gk.tensor(y))
    (loss + gk.nn.l2_penalty(model, lam=l2, m=len(X))).backward()
    return max(float(np.abs(p.grad.numpy()).max()) for p in model.parameters())


@pytest.mark.parametrize("make", [lambda ps: gk.optim.LBFGS(ps, lr=1.0, max_iter=50, line_search_fn="strong_wolfe"),
                                  lambda ps: gk.optim.Newton(ps)], ids=["LBFGS", "Newton"])
def test_closure_optimizers_fit_logistic_regression_to_the_optimum(make):
    X, y = _logistic_data()
    gk.manual_seed(0)
    model = gk.nn.Linear(3, 1, dtype="float64")
    assert _regularized_grad_norm(model, X, y, 2.0) > 1e-2
    hist = gk.train.fit(model, "bce_with_logits", make(model.parameters()), (X, y), epochs=8, batch_size=None,
                        l2=2.0, verbose=0)
    # the optimum of the regularized cost fit minimizes (the closure includes the L2 term)
    assert _regularized_grad_norm(model, X, y, 2.0) < 1e-5
    assert hist["loss"][-1] < hist["loss"][0]


def test_lbfgs_and_newton_reach_the_same_weights():
    X, y = _logistic_data(seed=1)
    found = []
    for make in (lambda ps: gk.optim.LBFGS(ps, max_iter=100, line_search_fn="strong_wolfe"), gk.optim.Newton):
        gk.manual_seed(0)
        model = gk.nn.Linear(3, 1, dtype="float64")
        gk.train.fit(model, "bce_with_logits", make(model.parameters()), (X, y), epochs=10, batch_size="full",
                     l2=1.0, verbose=0)
        found.append(np.concatenate([p.numpy().ravel() for p in model.parameters()]))
    np.testing.assert_allclose(found[0], found[1], rtol=0, atol=1e-4)


# ---------------------------------------------------------------------- 3. batch gradient descent
class _Sizes(C.Callback):
    def __init__(self):
        self.sizes = []

    def on_batch_end(self, batch, logs=None):
        self.sizes.append(logs["size"])


@pytest.mark.parametrize("full", [None, "full", "FULL"])
def test_full_batch_is_one_step_per_epoch_on_the_whole_set(full):
    X, y = _blobs(70)
    sizes = _Sizes()
    hist = gk.train.fit(gk.nn.Linear(4, 2), "cross_entropy", "sgd", (X, y), epochs=3, batch_size=full, lr=0.5,
                        callbacks=[sizes], verbose=0)
    assert sizes.sizes == [70, 70, 70] and hist.trainer.steps_per_epoch == 1
    assert hist["loss"][-1] < hist["loss"][0]


def test_full_batch_equals_batch_size_m_without_shuffling_effects():
    X, y = _blobs(50)
    out = []
    for bs in (None, 50):
        gk.manual_seed(0)
        net = gk.nn.Linear(4, 2)
        gk.train.fit(net, "cross_entropy", "sgd", (X, y), (X, y), epochs=3, batch_size=bs, lr=0.3, verbose=0)
        out.append(_weights(net))
    for k in out[0]:
        np.testing.assert_array_equal(out[0][k], out[1][k])


@pytest.mark.parametrize("bad", [0, -3, 2.5, "half", True])
def test_bad_batch_sizes_are_refused(bad):
    X, y = _blobs(10)
    with pytest.raises(ValueError, match="batch_size must be a positive integer, None or 'full'"):
        gk.train.fit(gk.nn.Linear(4, 2), "cross_entropy", "sgd", (X, y), batch_size=bad, verbose=0)


# ---------------------------------------------------------------------- 4. proximal L1
def _sparse_regression(m=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, 10)).astype(np.float32)
    w = np.array([2.0, -3.0, 1.5] + [0.0] * 7, dtype=np.float32)  # inputs 3..9 are irrelevant
    y = (X @ w + 0.1 * rng.standard_normal(m).astype(np.float32))[:, None]
    return X, y


@pytest.mark.parametrize("mode", ["penalty", "proximal"])
def test_l1_proximal_gives_exact_zeros_the_penalty_does_not(mode):
    X, y = _sparse_regression()
    gk.manual_seed(0)
    model = gk.nn.Linear(10, 1)
    hist = gk.train.fit(model, "mse", gk.optim.SGD(model.parameters(), lr=0.05), (X, y), epochs=300,
                        batch_size=None, l1=10.0, l1_mode=mode, verbose=0)
    w = model.weight.numpy().ravel()
    assert np.all(np.abs(w[:3]) > 1.0)  # the relevant inputs keep their weights
    irrelevant_zeros = int((w[3:] == 0).sum())
    if mode == "proximal":
        assert irrelevant_zeros >= 6 and (w[:3] != 0).all()
        assert model.bias.item() != 0.0  # biases are not thresholded
    else:
        assert irrelevant_zeros == 0 and np.abs(w[3:]).max() < 0.05  # small, but never exactly 0
    assert hist["loss"][-1] < hist["loss"][0]


def test_l1_proximal_threshold_is_lr_lambda_over_m():
    """One full-batch SGD step with lr 0 on the loss leaves only the proximal step: w shrinks by lr*l1/m."""
    X, y = _sparse_regression(m=40)
    model = gk.nn.Linear(10, 1)
    w0 = model.weight.numpy().copy()
    opt = gk.optim.SGD(model.parameters(), lr=0.5)
    # a loss with a zero gradient, so SGD moves nothing and only the proximal step acts
    gk.train.fit(model, lambda out, t: (out * 0.0).sum(), opt, (X, y), epochs=1, batch_size=None, l1=2.0,
                 l1_mode="proximal", verbose=0)
    t = 0.5 * 2.0 / 40
    expected = np.sign(w0) * np.maximum(np.abs(w0) - np.float32(t), 0)
    np.testing.assert_allclose(model.weight.numpy(), expected, rtol=0, atol=1e-7)


def test_l1_mode_is_checked():
    with pytest.raises(ValueError, match="l1_mode must be 'penalty' or 'proximal', got 'prox'"):
        gk.train.fit(gk.nn.Linear(4, 2), "cross_entropy", "sgd", _blobs(10), l1=1.0, l1_mode="prox", verbose=0)



def test_l1_proximal_leaves_frozen_weights_alone():
    X, y = _sparse_regression(m=40)
    gk.manual_seed(0)
    net = gk.nn.Sequential(gk.nn.Linear(10, 4), gk.nn.Linear(4, 1))
    net[0].weight.requires_grad = False
    frozen = net[0].weight.numpy().copy()
    gk.train.fit(net, "mse", gk.optim.SGD(net.parameters(), lr=0.1), (X, y), epochs=3, batch_size=None, l1=50.0,
                 l1_mode="proximal", verbose=0)
    np.testing.assert_array_equal(net[0].weight.numpy(), frozen)
    assert (net[1].weight.numpy() == 0).any()


def test_fit_trains_with_adahessian_by_name_and_by_instance():
    # AdaHessian reads the gradients' graph: fit backprops with create_graph for it
    import numpy as np

    import gradkit as gk

    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5], dtype=np.float32) > 0).astype(np.int64)
    gk.manual_seed(0)
    net = gk.nn.Linear(3, 2)
    hist = gk.train.fit(net, "cross_entropy", gk.optim.AdaHessian(net.parameters(), lr=0.15, seed=0), (X, y),
                        epochs=15, batch_size=64, verbose=0)
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    gk.manual_seed(0)
    net = gk.nn.Linear(3, 2)
    hist = gk.train.fit(net, "cross_entropy", "adahessian", (X, y), epochs=3, batch_size=64, verbose=0)
    assert np.isfinite(hist["loss"][-1])


@pytest.mark.parametrize("name", ["lbfgs", "newton"])
def test_fit_takes_the_closure_optimizers_by_name(name):
    import numpy as np

    import gradkit as gk

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_normal(60) > 0).astype(np.int64)
    gk.manual_seed(0)
    net = gk.nn.Linear(3, 2).double()
    hist = gk.train.fit(net, "cross_entropy", name, (X, y), epochs=3, batch_size="full", verbose=0)
    assert hist["loss"][-1] < 0.6 * hist["loss"][0]
