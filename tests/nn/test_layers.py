"""Layers: the shared contract on every layer, plus known values and error messages."""

import json
import math

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.nn.functional import layers as FL
from gradkit.diagnose import gradcheck, gradgradcheck
from gradkit.testing import LayerContractError, check_layer


# ---------------------------------------------------------------- the contract, every layer
CASES = [
    ("linear", lambda: nn.Linear(5, 3), (4, 5), (4, 3), False),
    ("linear_nobias_3d", lambda: nn.Linear(5, 3, bias=False), (2, 4, 5), (2, 4, 3), False),
    ("identity", lambda: nn.Identity(), (3, 4), (3, 4), False),
    ("flatten", lambda: nn.Flatten(), (2, 3, 4), (2, 12), False),
    ("unflatten", lambda: nn.Unflatten(1, (3, 4)), (2, 12), (2, 3, 4), False),
    ("dropout", lambda: nn.Dropout(0.3), (6, 5), (6, 5), True),
    ("dropout_keep_prob", lambda: nn.Dropout(keep_prob=0.7), (6, 5), (6, 5), True),
    ("dropout_classic", lambda: nn.Dropout(keep_prob=0.7, inverted=False), (6, 5), (6, 5), True),
    ("dropout2d", lambda: nn.Dropout2d(0.5), (4, 6, 2, 2), (4, 6, 2, 2), True),
    ("alpha_dropout", lambda: nn.AlphaDropout(0.2), (6, 5), (6, 5), True),
    ("dropconnect", lambda: nn.DropConnect(nn.Linear(4, 3), 0.5), (5, 4), (5, 3), True),
    ("batchnorm1d", lambda: nn.BatchNorm1d(3), (8, 3), (8, 3), False),
    ("batchnorm1d_ncl", lambda: nn.BatchNorm1d(3), (4, 3, 5), (4, 3, 5), False),
    ("batchnorm1d_noaffine", lambda: nn.BatchNorm1d(3, affine=False), (6, 3), (6, 3), False),
    ("batchnorm1d_nostats", lambda: nn.BatchNorm1d(3, track_running_stats=False), (6, 3), (6, 3), False),
    ("batchnorm1d_beta", lambda: nn.BatchNorm1d(3, beta=0.9), (8, 3), (8, 3), False),
    ("batchnorm2d", lambda: nn.BatchNorm2d(3), (4, 3, 2, 3), (4, 3, 2, 3), False),
    ("layernorm", lambda: nn.LayerNorm(5), (3, 5), (3, 5), False),
    ("layernorm_2d", lambda: nn.LayerNorm((3, 4)), (2, 3, 4), (2, 3, 4), False),
    ("rbf", lambda: nn.RBF(3, 4), (5, 3), (5, 4), False),
    ("residual", lambda: nn.Residual(nn.Sequential(nn.Linear(4, 4), nn.Tanh())), (3, 4), (3, 4), False),
    ("sequential", lambda: nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.2),
                                         nn.Linear(6, 2)), (8, 4), (8, 2), True),
]


@pytest.mark.parametrize("name,make,shape,out_shape,stochastic", CASES, ids=[c[0] for c in CASES])
def test_layer_contract(name, make, shape, out_shape, stochastic):
    report = check_layer(make, shape, expected_output_shape=out_shape, stochastic=stochastic)
    assert report["output_shape"] == out_shape


def test_contract_catches_a_broken_backward():
    class BadOp(gk.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # wrong: should be 2 x

    class Bad(nn.Module):
        def forward(self, x):
            return BadOp.apply(x)

    with pytest.raises(LayerContractError, match="gradient check failed in train mode for \\['input'\\]"):
        check_layer(Bad, (3, 2))


def test_contract_catches_upcast_and_nondeterministic_eval():
    class Upcast(nn.Module):
        def forward(self, x):
            return x.double()

    with pytest.raises(LayerContractError, match="float32 input gave a float64 output"):
        check_layer(Upcast, (2, 2))

    class AlwaysRandom(nn.Module):
        def forward(self, x):
            return FL.dropout(x, 0.5, True)

    with pytest.raises(LayerContractError, match="eval mode gave different outputs"):
        check_layer(AlwaysRandom, (4, 4))


# ---------------------------------------------------------------- Linear
def test_linear_error_message_and_default_init():
    with pytest.raises(ValueError) as err:
        nn.Linear(784, 256)(gk.zeros(32, 783))
    assert str(err.value) == "Linear(in_features=784) expected input with last dimension 784, got shape (32, 783)"
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = lin.weight.numpy(), lin.bias.numpy()
    assert w.shape == (300, 400) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert abs(w.var() - bound**2 / 3) < 0.05 * bound**2 / 3  # U(-1/sqrt(in), 1/sqrt(in))


def test_examples_in_columns_get_a_transpose_hint():
    msg = ("Linear(in_features=5) expected input (..., 5), got (5, 100): did you pass examples as columns? "
           "use X.T (gradkit takes one example per row: (100, 5))")
    with pytest.raises(ValueError) as e:
        nn.Linear(5, 3)(gk.zeros(5, 100))
    assert str(e.value) == msg
    with pytest.raises(ValueError) as e:  # the models' first layer says the same
        gk.models.MLP([5, 8, 2])(gk.zeros(5, 100))
    assert str(e.value) == msg
    with pytest.raises(ValueError, match=r"RBF\(in_features=3\) expected input \(\.\.\., 3\), got \(3, 7\): did you pass"):
        nn.RBF(3, 4)(gk.zeros(3, 7))
    with pytest.raises(ValueError, match=r"Highway\(features=4\) expected input \(\.\.\., 4\), got \(4, 9\): .* use X.T"):
        nn.Highway(4)(gk.zeros(4, 9))
    with pytest.raises(ValueError, match=r"Perceptron\(in_features=2\) expected input \(N, 2\), "
                                         r"got shape \(2, 10\): did you pass examples as columns"):
        gk.models.Perceptron(2)(gk.zeros(2, 10))
    with pytest.raises(ValueError, match=r"Perceptron.fit expected X of shape \(N, 2\), got \(2, 10\): did you pass"):
        gk.models.Perceptron(2).fit(np.zeros((2, 10)), np.zeros(10))
    with pytest.raises(ValueError, match=r"MNIST1DCNN expected .* got \(40, 8\): did you pass examples as columns"):
        gk.models.MNIST1DCNN()(gk.zeros(40, 8))
    # no hint where the layout is not the likely mistake
    for shape in [(32, 783), (5, 5, 3), (7, 6)]:
        with pytest.raises(ValueError) as e:
            nn.Linear(5, 3)(gk.zeros(*shape))
        assert "columns" not in str(e.value) and "expected input with last dimension 5" in str(e.value)
    assert nn.Linear(5, 3)(gk.zeros(100, 5).T.T).shape == (100, 3)


def test_linear_matches_numpy():
    lin = nn.Linear(3, 2)
    x = gk.randn(4, 3)
    np.testing.assert_allclose(lin(x).numpy(), x.numpy() @ lin.weight.numpy().T + lin.bias.numpy(), rtol=1e-6)


# ---------------------------------------------------------------- dropout family
def test_dropout_keeps_the_mean_and_scales_survivors():
    p = 0.3
    x = gk.ones(200_000)
    y = nn.Dropout(p)(x).numpy()
    kept = y != 0
    assert abs(kept.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / y.size)
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.01
    assert nn.Dropout(p).keep_prob == pytest.approx(0.7)
    d = nn.Dropout(p).eval()
    assert d(x) is x
    assert float(nn.Dropout(1.0)(gk.ones(5)).sum()) == 0
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
def test_dropout_keep_prob_inverted_scales_survivors_by_one_over_keep_prob(dtype):
    x = gk.full((20_000,), 3.0, dtype=dtype)
    d = nn.Dropout(keep_prob=0.8)
    assert d.keep_prob == 0.8 and d.p == pytest.approx(0.2) and d.inverted
    y = d(x).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.8) < 5 * math.sqrt(0.16 / y.size)
    assert set(y[kept].tolist()) == {float(np.array(3.0 / 0.8, dtype=y.dtype))}
    assert d.eval()(x) is x


@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
def test_dropout_classic_form_scales_at_test_time(dtype):
    xs = np.linspace(-2, 2, 10_000)
    x = gk.tensor(xs, dtype=dtype)
    d = nn.Dropout(keep_prob=0.8, inverted=False)
    y = d(x).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.8) < 0.05
    np.testing.assert_array_equal(y[kept], x.numpy()[kept])  # survivors unscaled in training
    out = d.eval()(x).numpy()
    assert out.dtype == x.numpy().dtype
    np.testing.assert_array_equal(out, x.numpy() * out.dtype.type(0.8))  # exactly keep_prob * x
    # p= gives the same classic layer; functional form too
    y2 = FL.dropout(x, p=0.2, training=False, inverted=False).numpy()
    np.testing.assert_allclose(y2, out, rtol=1e-15)
    np.testing.assert_array_equal(nn.Dropout(0.2, inverted=False).eval()(x).numpy(),
                                  (x * (1 - 0.2)).numpy())
    g = FL.dropout(gk.ones(1000), p=0.5, inverted=False).numpy()
    assert set(g.tolist()) == {0.0, 1.0}


def test_dropout_same_mask_for_p_and_keep_prob_under_one_seed():
    gk.manual_seed(5)
    a = nn.Dropout(0.25)(gk.ones(500)).numpy()
    gk.manual_seed(5)
    b = nn.Dropout(keep_prob=0.75)(gk.ones(500)).numpy()
    gk.manual_seed(5)
    c = nn.Dropout(keep_prob=0.75, inverted=False)(gk.ones(500)).numpy()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a != 0, c != 0)
    np.testing.assert_allclose(a, c / 0.75, rtol=1e-6)


def test_dropout_argument_errors_and_config():
    with pytest.raises(ValueError, match="p \\(drop probability\\) or keep_prob .*not both"):
        nn.Dropout(0.2, keep_prob=0.8)
    with pytest.raises(ValueError, match="keep_prob has to be between 0 and 1, but got 1.2"):
        nn.Dropout(keep_prob=1.2)
    with pytest.raises(ValueError, match="between 0 and 1, but got -0.1"):
        nn.Dropout(p=-0.1)
    assert nn.Dropout().p == 0.5
    assert nn.Dropout(0.25).get_config() == {"p": 0.25}
    assert nn.Dropout(keep_prob=0.9, inverted=False).get_config() == {"keep_prob": 0.9, "inverted": False}
    twin = nn.Dropout.from_config(nn.Dropout(keep_prob=0.9, inverted=False).get_config())
    assert twin.keep_prob == 0.9 and not twin.inverted
    assert repr(nn.Dropout(keep_prob=0.9, inverted=False)) == "Dropout(keep_prob=0.9, inverted=False)"
    assert nn.Dropout(keep_prob=1.0)(gk.ones(3)).tolist() == [1.0, 1.0, 1.0]
    assert nn.Dropout(keep_prob=0.0)(gk.ones(3)).tolist() == [0.0, 0.0, 0.0]


def test_dropout_gradient_uses_the_mask():
    x = gk.ones(1000, requires_grad=True)
    y = nn.Dropout(0.5)(x)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_dropout2d_drops_whole_channels():
    y = nn.Dropout2d(0.5)(gk.ones(8, 16, 3, 3)).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0 < (per_channel[..., 0] == 0).mean() < 1
    with pytest.raises(ValueError, match="dropout2d expects"):
        nn.Dropout2d()(gk.ones(4, 3))


def test_alpha_dropout_keeps_standard_moments():
    x = gk.randn(400_000)
    y = nn.AlphaDropout(0.2)(x).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1.0) < 0.02


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_dropout_family_draws_in_the_working_dtype(dtype):
    x = gk.ones(4, 6, 5, 5, dtype=dtype)
    for fn in (FL.dropout, FL.dropout2d, FL.alpha_dropout):
        assert fn(x, 0.3).dtype == np.dtype(dtype), fn.__name__
    gen = gk.Generator(7)
    y = FL.dropout(x, 0.25, generator=gen).numpy()
    assert set(np.unique(y).tolist()) == {0.0, float(np.dtype(dtype).type(1 / 0.75))}
    # the mask is the generator's uniforms in the working dtype (float64 only for float64), kept where u >= p
    draw = np.float64 if dtype == "float64" else np.float32
    u = gk.Generator(7).np.random(size=x.shape, dtype=draw)
    np.testing.assert_array_equal(y != 0, u >= draw(0.25))
    # seeded: the same generator state gives the same mask
    assert np.array_equal(FL.dropout(x, 0.25, generator=gk.Generator(7)).numpy(), y)
    # alpha dropout: kept -> a * x + b, dropped -> a * alpha' + b
    ya = FL.alpha_dropout(x, 0.25, generator=gk.Generator(7)).numpy().astype(np.float64)
    q = 0.75
    a = 1.0 / math.sqrt(q * (1.0 + 0.25 * FL._ALPHA_PRIME**2))
    b = -a * FL._ALPHA_PRIME * 0.25
    tol = 1e-2 if dtype == "float16" else 1e-6
    np.testing.assert_allclose(ya, np.where(u >= draw(0.25), a + b, a * FL._ALPHA_PRIME + b), rtol=tol)


def test_dropout_p_one_and_eval_are_cheap_paths():
    x = gk.randn(3, 4, 2)
    for fn in (FL.dropout, FL.dropout2d, FL.alpha_dropout):
        assert fn(x, 0.5, training=False) is x and fn(x, 0.0) is x
        assert float(abs(fn(x, 1.0)).sum()) == 0.0
    with pytest.raises(ValueError, match="alpha_dropout probability"):
        FL.alpha_dropout(x, -0.1)


def test_dropconnect_drops_weights_not_units():
    lin = nn.Linear(50, 40)
    dc = nn.DropConnect(lin, p=0.5)
    x = gk.eye(50)
    y = dc(x).numpy() - lin.bias.numpy()  # row i = masked/scaled column i of W
    w = lin.weight.numpy().T
    zero = np.isclose(y, 0)
    assert 0.4 < zero.mean() < 0.6
    np.testing.assert_allclose(y[~zero], 2 * w[~zero], rtol=1e-5, atol=1e-7)  # y - b rounds at |b| * 6e-8
    dc.eval()
    np.testing.assert_allclose(dc(x).numpy(), lin(x).numpy())
    assert list(dc.state_dict()) == ["module.weight", "module.bias"]
    with pytest.raises(TypeError, match="'weight' parameter"):
        nn.DropConnect(nn.Identity())


# ---------------------------------------------------------------- batch norm
def test_batchnorm_training_matches_the_formulas():
    bn = nn.BatchNorm1d(4, momentum=0.1)
    with gk.no_grad():
        bn.weight.array[...] = [1.0, 2.0, 0.5, -1.0]
        bn.bias.array[...] = [0.0, 1.0, -1.0, 3.0]
    xn = (np.random.default_rng(0).normal(size=(32, 4)) * [1, 2, 3, 4] + [0, 1, -2, 5]).astype(np.float32)
    y = bn(gk.tensor(xn)).numpy()
    mu, var = xn.mean(0), xn.var(0)
    expected = (xn - mu) / np.sqrt(var + 1e-5) * bn.weight.numpy() + bn.bias.numpy()
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * xn.var(0, ddof=1), rtol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    ye = bn(gk.tensor(xn)).numpy()
    expected_eval = (xn - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5) * bn.weight.numpy() \
        + bn.bias.numpy()
    np.testing.assert_allclose(ye, expected_eval, rtol=1e-4, atol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 1  # eval does not update


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (16, 3)), (nn.BatchNorm2d, (4, 3, 2, 5))])
def test_batchnorm_beta_is_one_minus_momentum(cls, shape):
    a, b = cls(3, momentum=0.1), cls(3, beta=0.9)
    assert b.beta == 0.9 and b.momentum == pytest.approx(0.1, abs=1e-15)
    gk.manual_seed(3)
    xs = [gk.randn(*shape) * 3 + 1 for _ in range(5)]
    for x in xs:
        a(x), b(x)
    # the course's exponentially weighted average, written out: v = beta * v + (1 - beta) * stat
    v = np.zeros(3)
    for x in xs:
        axes = tuple(i for i in range(len(shape)) if i != 1)
        v = 0.9 * v + 0.1 * x.numpy().astype(np.float64).mean(axis=axes)
    np.testing.assert_allclose(b.running_mean.numpy(), v, rtol=1e-5, atol=1e-6)
    # 1 - 0.9 is 0.1 to within one ulp of float64: the float32 running statistics agree exactly
    np.testing.assert_array_equal(b.running_mean.numpy(), a.running_mean.numpy())
    np.testing.assert_array_equal(b.running_var.numpy(), a.running_var.numpy())
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(xs[0]).numpy(), b(xs[0]).numpy())


def test_batchnorm_beta_errors_repr_and_config():
    with pytest.raises(ValueError, match=r"BatchNorm1d takes momentum .* or beta .*not both; got momentum=0.1, beta=0.9"):
        nn.BatchNorm1d(3, momentum=0.1, beta=0.9)
    with pytest.raises(ValueError, match="BatchNorm2d beta has to be a number between 0 and 1, but got 1.5"):
        nn.BatchNorm2d(3, beta=1.5)
    assert "beta=0.9" in repr(nn.BatchNorm1d(3, beta=0.9))
    assert nn.BatchNorm1d(3).get_config()["momentum"] == 0.1 and "beta" not in nn.BatchNorm1d(3).get_config()
    cfg = nn.BatchNorm2d(3, beta=0.99, affine=False).get_config()
    assert cfg["beta"] == 0.99 and "momentum" not in cfg
    twin = nn.BatchNorm2d.from_config(json.loads(json.dumps(cfg)))
    assert twin.beta == 0.99 and not twin.affine and twin.momentum == pytest.approx(0.01)
    assert nn.BatchNorm1d(3, momentum=None).momentum is None  # the cumulative average is still there


def test_batchnorm2d_statistics_per_channel():
    x = gk.randn(6, 3, 4, 5) * 3 + 2
    y = nn.BatchNorm2d(3)(x).numpy()
    np.testing.assert_allclose(y.mean((0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var((0, 2, 3)), 1, atol=1e-3)


def test_batchnorm_cumulative_average_and_errors():
    bn = nn.BatchNorm1d(2, momentum=None)
    xs = [gk.randn(10, 2) for _ in range(3)]
    for x in xs:
        bn(x)
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.numpy().mean(0) for x in xs], 0), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(2)(gk.randn(1, 2))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(num_features=2\) expected input .* got shape \(4, 3\)"):
        nn.BatchNorm1d(2)(gk.randn(4, 3))
    with pytest.raises(ValueError, match="BatchNorm2d"):
        nn.BatchNorm2d(2)(gk.randn(4, 2))


def test_batchnorm_float32_stays_float32():
    bn = nn.BatchNorm2d(3)
    x = gk.randn(2, 3, 2, 2, requires_grad=True)
    y = bn(x)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32 and bn.weight.grad.dtype == np.float32
    assert bn.running_var.dtype == np.float32


# ---------------------------------------------------------------- layer norm, rbf, residual
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_composite_and_second_order(training):
    rng = np.random.default_rng(1)
    x = gk.tensor(rng.standard_normal((5, 3, 2)), requires_grad=True)
    g = gk.tensor(rng.uniform(0.5, 2.0, 3), requires_grad=True)
    b = gk.tensor(rng.standard_normal(3), requires_grad=True)
    rm, rv = gk.tensor(rng.standard_normal(3)), gk.tensor(rng.uniform(0.5, 2.0, 3))

    def f(x, g, b):
        return FL.batch_norm(x, rm, rv, g, b, training=training, momentum=0.0)

    y = f(x, g, b)
    op = y._ctx  # a fused op: backward_arrays for speed, the composite for higher orders
    np.testing.assert_allclose(op.composite(x, g, b).numpy(), y.numpy(), rtol=1e-12, atol=1e-12)
    assert gradcheck(f, [x, g, b]).passed
    report = gradgradcheck(f, [x, g, b])
    assert report.passed, str(report)


def test_layernorm_matches_formula():
    ln = nn.LayerNorm(6)
    x = gk.randn(3, 6) * 4 + 1
    xn = x.numpy()
    expected = (xn - xn.mean(-1, keepdims=True)) / np.sqrt(xn.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(ln(x).numpy(), expected, rtol=1e-4, atol=1e-5)
    assert [n for n, _ in nn.LayerNorm(4, elementwise_affine=False).named_parameters()] == []
    with pytest.raises(ValueError, match="trailing shape"):
        ln(gk.randn(3, 5))


def test_rbf_values():
    rbf = nn.RBF(2, 3, sigma=0.5)
    c = rbf.centres.numpy()
    x = np.array([[0.3, -0.2], [1.0, 1.0]], dtype=np.float32)
    expected = np.exp(-((x[:, None, :] - c[None]) ** 2).sum(-1) / (2 * 0.25))
    np.testing.assert_allclose(rbf(gk.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match=r"RBF\(in_features=2\)"):
        rbf(gk.zeros(1, 3))


def test_residual_adds_and_checks_shape():
    lin = nn.Linear(3, 3)
    x = gk.randn(2, 3)
    np.testing.assert_allclose(nn.Residual(lin)(x).numpy(), (x + lin(x)).numpy())
    with pytest.raises(ValueError, match=r"changed the shape from \(2, 3\) to \(2, 4\)"):
        nn.Residual(nn.Linear(3, 4))(x)


def test_nn_functional_reexports_every_sibling_functional_name():
    # gk.nn.functional lists its modules' names statically; a name added to a module's
    # __all__ must be added there too.
    import importlib
    import pkgutil

    F = gk.nn.functional
    subs = [m.name for m in pkgutil.iter_modules(F.__path__) if not m.name.startswith("_")]
    assert subs, "gk.nn.functional is a package of modules"
    for sib in subs:
        mod = importlib.import_module(f"gradkit.nn.functional.{sib}")
        for name in mod.__all__:
            assert name in F.__all__, (sib, name)
            assert getattr(F, name) is getattr(mod, name), (sib, name)
    assert len(F.__all__) == len(set(F.__all__))


def test_nn_reexports_activation_loss_regularization():
    for mod in (gk.nn.activation, gk.nn.loss, gk.nn.regularization):
        for name in mod.__all__:
            assert getattr(gk.nn, name) is getattr(mod, name), name
