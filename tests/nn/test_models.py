"""gk.models: perceptron learning rule, logistic regression, MLP, RBF network, self-normalizing net."""

import json
import warnings

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.models import (
    MLP, ConvergenceWarning, LogisticRegression, Perceptron, RBFNetwork, SelfNormalizingNet,
)
from gradkit.nn.module import module_from_config
from gradkit.testing import check_layer


def _separable(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    w, b = np.array([1.5, -2.0]), 0.3
    s = X @ w + b
    keep = np.abs(s) > 0.1  # a margin
    return X[keep], (s[keep] > 0).astype(np.int64)


# ---------------------------------------------------------------- perceptron
def test_perceptron_converges_on_separable_data():
    X, y = _separable()
    p = Perceptron(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning allowed
        res = p.fit(X, y, epochs=1000)
    assert res.converged and res.mistakes[-1] == 0 and res.epochs == len(res.mistakes)
    np.testing.assert_array_equal(p.predict(X), y)
    assert p.weight.shape == (1, 2)


def test_perceptron_reports_non_convergence_on_xor():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    with pytest.warns(ConvergenceWarning, match="not linearly separable"):
        res = Perceptron(2).fit(X, y, epochs=50)
    assert not res.converged and not res
    assert res.epochs == 50 and all(m > 0 for m in res.mistakes)


def test_perceptron_label_encodings_and_errors():
    X, y = _separable()
    p = Perceptron(2)
    p.fit(X, 2 * y - 1)
    assert set(p.predict(X).tolist()) == {-1, 1}
    q = Perceptron(2)
    q.load_state_dict(p.state_dict())
    np.testing.assert_array_equal(q.predict(X), 2 * y - 1)
    with pytest.raises(ValueError, match="labels in"):
        Perceptron(2).fit(X, y + 5)
    with pytest.raises(ValueError, match="samples in X"):
        Perceptron(2).fit(X, y[:-1])
    with pytest.raises(ValueError, match=r"Perceptron\(in_features=2\)"):
        p(gk.zeros(3, 4))


# ---------------------------------------------------------------- logistic regression
def test_logistic_regression_learns_with_bce():
    X, y = _separable()
    m = LogisticRegression(2)
    loss_fn = nn.BCEWithLogitsLoss()
    x_t, y_t = gk.tensor(X.astype(np.float32)), gk.tensor(y.astype(np.float32))
    for _ in range(300):
        loss = loss_fn(m(x_t), y_t)
        m.zero_grad()
        loss.backward()
        with gk.no_grad():
            for p in m.parameters():
                p -= 1.0 * p.grad
    assert (m.predict(x_t) == y).mean() > 0.97
    assert m.predict_proba(x_t).shape == (len(y),)
    multi = LogisticRegression(2, num_classes=3)
    probs = multi.predict_proba(x_t).numpy()
    np.testing.assert_allclose(probs.sum(-1), 1, rtol=1e-5)
    assert multi.predict(x_t).shape == (len(y),)


# ---------------------------------------------------------------- MLP
def test_mlp_structure_config_and_contract():
    m = MLP([4, 16, 8, 3], activation="tanh", dropout=0.1, batchnorm=True)
    assert [type(l).__name__ for l in m] == ["Linear", "BatchNorm1d", "Tanh", "Dropout"] * 2 + ["Linear"]
    assert m.get_config() == {"sizes": [4, 16, 8, 3], "activation": "tanh", "dropout": 0.1, "batchnorm": True,
                              "init": "torch"}
    r = module_from_config(json.loads(json.dumps({"class": "MLP", "config": m.get_config()})))
    assert type(r) is MLP and repr(r) == repr(m)
    check_layer(lambda: MLP([4, 6, 3], activation="elu", dropout=0.2, batchnorm=True), (8, 4),
                expected_output_shape=(8, 3), stochastic=True)
    with pytest.raises(ValueError, match="unknown activation"):
        MLP([2, 3, 1], activation="swoosh")
    with pytest.raises(ValueError, match="at least"):
        MLP([3])


def test_mlp_fits_xor():
    X = gk.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = gk.tensor([0.0, 1.0, 1.0, 0.0])
    m = MLP([2, 8, 1], activation="tanh")
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(1500):
        loss = loss_fn(m(X).reshape(-1), y)
        m.zero_grad()
        loss.backward()
        with gk.no_grad():
            for p in m.parameters():
                p -= 0.5 * p.grad
    assert ((m(X).reshape(-1).numpy() > 0) == (y.numpy() > 0.5)).all()


# ---------------------------------------------------------------- RBF network
def test_rbf_network_init_centres_and_contract():
    X = gk.randn(50, 3)
    net = RBFNetwork(3, 10, 2).init_centres(X)
    c = net.rbf.centres.numpy()
    assert all(any(np.allclose(ci, xi) for xi in X.numpy()) for ci in c)
    assert net(X).shape == (50, 2)
    check_layer(lambda: RBFNetwork(3, 4, 2), (5, 3), expected_output_shape=(5, 2))


def test_rbf_network_fits_a_bump():
    x = np.linspace(-2, 2, 40, dtype=np.float32)[:, None]
    t = np.exp(-x**2).astype(np.float32)
    net = RBFNetwork(1, 8, 1, sigma=0.5).init_centres(x, set_width=False)
    xt, tt = gk.tensor(x), gk.tensor(t)
    for _ in range(500):
        loss = ((net(xt) - tt) ** 2).mean()
        net.zero_grad()
        loss.backward()
        with gk.no_grad():
            for p in net.parameters():
                p -= 0.2 * p.grad
    assert loss.item() < 2e-3


# ---------------------------------------------------------------- self-normalizing net
def _selu_stats(net, x):
    stats = []
    for m in net:
        if isinstance(m, nn.SELU):
            m.register_forward_hook(lambda mod, inp, out: stats.append((out.numpy().mean(), out.numpy().var())))
    with gk.no_grad():
        net(x)
    return np.array(stats)


def test_self_normalizing_net_keeps_mean_0_var_1_through_20_layers():
    net = SelfNormalizingNet(256, 256, 20, 10, dropout=0.05)
    stats = _selu_stats(net, gk.randn(1000, 256))  # training mode: AlphaDropout active
    assert stats.shape == (20, 2)
    assert np.abs(stats[:, 0]).max() < 0.1
    assert np.abs(stats[:, 1] - 1).max() < 0.15
    assert all(isinstance(m, nn.AlphaDropout) for m in list(net)[2::3][:20])


def test_without_lecun_init_the_signal_decays():
    # control: PyTorch's default Linear init (Var = 1/(3 fan_in)) breaks self-normalization
    net = SelfNormalizingNet(256, 256, 20, 10)
    for m in net:
        if isinstance(m, nn.Linear):
            m.reset_parameters()
    stats = _selu_stats(net, gk.randn(1000, 256))
    assert stats[-1, 1] < 0.5


def test_logistic_regression_multiclass_predict_proba_is_the_softmax_of_the_scores():
    gk.manual_seed(0)
    m = gk.models.LogisticRegression(4, num_classes=3)
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    z = m(gk.tensor(x)).numpy().astype(np.float64)
    ref = np.exp(z - z.max(-1, keepdims=True))
    ref /= ref.sum(-1, keepdims=True)
    p = m.predict_proba(x).numpy()
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, ref, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(m.predict(x), ref.argmax(-1))


# ---------------------------------------------------------------- init= (course initialisations)
@pytest.mark.parametrize("init,var", [("he", lambda n_in, n_out: 2.0 / n_in),
                                      ("xavier", lambda n_in, n_out: 2.0 / (n_in + n_out)),
                                      ("lecun", lambda n_in, n_out: 1.0 / n_in)])
def test_mlp_init_weight_variances_on_wide_layers(init, var):
    gk.manual_seed(0)
    m = MLP([400, 600, 300], init=init)
    for lin, (n_in, n_out) in zip((m[0], m[2]), ((400, 600), (600, 300))):
        w = lin.weight.numpy().astype(np.float64)
        # 120k-240k draws: the sample variance is within ~1 % of the target (5 sigma ~ 2 %)
        assert w.var() == pytest.approx(var(n_in, n_out), rel=0.03)
        assert abs(w.mean()) < 0.01 * np.sqrt(var(n_in, n_out))
        assert not lin.bias.numpy().any()
    assert m.get_config()["init"] == init


def test_init_distinguishes_the_schemes_and_zeros():
    gk.manual_seed(0)
    v = {i: MLP([500, 500, 10], init=i)[0].weight.numpy().var() for i in ("he", "xavier", "lecun")}
    assert v["he"] == pytest.approx(2 * v["lecun"], rel=0.03)   # 2/n vs 1/n
    assert v["xavier"] == pytest.approx(v["lecun"], rel=0.03)   # n_in == n_out: 2/(2n) = 1/n
    z = MLP([4, 8, 3], init="zeros")
    assert all(not p.numpy().any() for p in z.parameters())


def test_init_torch_keeps_todays_values_bit_exactly():
    gk.manual_seed(7)
    a = MLP([6, 9, 4], batchnorm=True)
    after_a = gk.get_rng_state()
    gk.manual_seed(7)
    b = MLP([6, 9, 4], batchnorm=True, init="torch")
    assert gk.get_rng_state() == after_a  # no extra draw
    for (k1, x), (k2, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert k1 == k2 and x.numpy().tobytes() == y.numpy().tobytes()
    # and today's values are PyTorch's default: |W| <= 1/sqrt(n_in), biases not zero
    assert np.abs(b[0].weight.numpy()).max() <= 1 / np.sqrt(6) and b[0].bias.numpy().any()


@pytest.mark.parametrize("make", [
    lambda **kw: LogisticRegression(300, 200, **kw),
    lambda **kw: RBFNetwork(3, 200, 300, **kw),
    lambda **kw: gk.models.DigitsCNN(**kw),
    lambda **kw: gk.models.MNIST1DCNN(**kw),
    lambda **kw: gk.models.LeNet5(**kw),
    lambda **kw: gk.models.SmallResNet(in_channels=1, widths=(8, 16, 16), **kw),
    lambda **kw: gk.models.FullyConvNet(**kw),
    lambda **kw: gk.models.SequenceClassifier(hidden_size=128, num_classes=64, **kw),
    lambda **kw: gk.models.SequenceTagger(hidden_size=64, num_tags=64, **kw),
    lambda **kw: gk.models.MNIST1DGRU(**kw),
], ids=["logreg", "rbfnet", "digits_cnn", "mnist1d_cnn", "lenet5", "resnet", "fcn", "seq_clf", "seq_tag", "gru"])
def test_presets_take_init(make):
    gk.manual_seed(1)
    m = make(init="lecun")
    layers = [l for l in m.modules() if isinstance(l, (nn.Linear, nn.Conv1d, nn.Conv2d))]
    assert layers
    w = np.concatenate([l.weight.numpy().ravel() * np.sqrt(l.weight.numpy()[0].size) for l in layers])
    # every weight ~ N(0, 1/fan_in); the variance estimate's sd is sqrt(2 / n): allow 6 of them
    assert w.var() == pytest.approx(1.0, abs=6 * np.sqrt(2 / w.size))
    assert 6 * np.sqrt(2 / w.size) < 0.3  # enough weights for the check to mean something
    assert all(l.bias is None or not l.bias.numpy().any() for l in layers)
    assert m.get_config()["init"] == "lecun"
    twin = module_from_config(json.loads(json.dumps({"class": type(m).__name__, "config": m.get_config()})))
    assert twin.get_config() == m.get_config()
    gk.manual_seed(1)
    t1 = make()  # today's model
    gk.manual_seed(1)
    t2 = make(init="torch")
    assert all(x.numpy().tobytes() == y.numpy().tobytes() for x, y in zip(t1.parameters(), t2.parameters()))


def test_unknown_init_is_refused():
    with pytest.raises(ValueError, match="MLP: unknown init 'glorot'; expected one of torch, he, xavier, lecun, zeros"):
        MLP([2, 3, 1], init="glorot")
    with pytest.raises(ValueError, match="DigitsCNN: unknown init"):
        gk.models.DigitsCNN(init="kaiming")
