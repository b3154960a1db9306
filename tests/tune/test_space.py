"""Search spaces: distributions on the right scales, validation, zooming, TOML recipes."""

import math

import numpy as np
import pytest

import gradkit as gk
from gradkit import tune


def draw(dom, n=4000, seed=0):
    rng = gk.random.get_generator(gk.Generator(seed))
    return np.array([dom.sample(rng) for _ in range(n)])


def test_log_uniform_log10_is_uniform():
    from scipy import stats
    x = draw(tune.log_uniform(1e-4, 1.0))
    assert x.min() >= 1e-4 and x.max() <= 1.0
    u = np.log10(x)
    assert stats.kstest(u, stats.uniform(loc=-4, scale=4).cdf).pvalue > 0.01
    # each decade gets a quarter; a linear-uniform sampler would put ~90% in the last decade
    frac = np.histogram(u, bins=[-4, -3, -2, -1, 0])[0] / len(u)
    np.testing.assert_allclose(frac, 0.25, atol=0.03)
    # quantiles of log10 match the uniform's
    np.testing.assert_allclose(np.quantile(u, [0.1, 0.5, 0.9]), [-3.6, -2.0, -0.4], atol=0.1)


def test_one_minus_log_uniform_fractions_match_the_math():
    # [0.9, 0.999]: 1 - beta in [1e-3, 1e-1], two decades -> half the samples in [0.99, 0.999]
    b = draw(tune.one_minus_log_uniform(0.9, 0.999))
    assert b.min() >= 0.9 and b.max() <= 0.999
    assert abs(np.mean(b >= 0.99) - 0.5) < 0.03
    # [0.9, 0.9999]: three decades, a third each
    b = draw(tune.one_minus_log_uniform(0.9, 0.9999))
    frac = [np.mean((b >= lo) & (b < hi)) for lo, hi in ((0.9, 0.99), (0.99, 0.999), (0.999, 0.9999))]
    np.testing.assert_allclose(frac, 1 / 3, atol=0.03)
    # [0.9, 0.99999]: four decades -> a quarter in [0.99, 0.999]
    b = draw(tune.one_minus_log_uniform(0.9, 0.99999))
    assert abs(np.mean((b >= 0.99) & (b < 0.999)) - 0.25) < 0.03
    # a linear-uniform sampler on [0.9, 0.999] would put only ~9% above 0.99
    assert np.mean(np.random.default_rng(0).uniform(0.9, 0.999, 4000) >= 0.99) < 0.12


def test_powers_of_two_values_and_uniform_exponent():
    dom = tune.powers_of_two(16, 512)
    x = draw(dom, 3000)
    assert set(x.tolist()) == {16, 32, 64, 128, 256, 512}
    assert all(isinstance(v, int) for v in (dom.sample(np.random.default_rng(1)) for _ in range(5)))
    counts = np.array([np.mean(x == v) for v in dom.values])
    np.testing.assert_allclose(counts, 1 / 6, atol=0.03)
    assert tune.powers_of_two(10, 100).values == [16, 32, 64]


def test_int_uniform_inclusive_and_choice_and_uniform():
    x = draw(tune.int_uniform(3, 6), 2000)
    assert set(x.tolist()) == {3, 4, 5, 6}
    c = draw(tune.choice(["relu", "tanh", "gelu"]), 3000)
    for o in ("relu", "tanh", "gelu"):
        assert abs(np.mean(c == o) - 1 / 3) < 0.04
    u = draw(tune.uniform(-1.0, 3.0))
    assert -1 <= u.min() and u.max() <= 3 and abs(u.mean() - 1.0) < 0.08


def test_sample_is_seeded_and_prefix_stable():
    space = {"lr": tune.log_uniform(1e-4, 1), "bs": tune.powers_of_two(16, 256), "act": tune.choice(["a", "b"]),
             "epochs": 5}
    a = tune.sample_configs(space, 6, seed=3)
    b = tune.sample_configs(space, 3, seed=3)
    assert a[:3] == b and a == tune.sample_configs(space, 6, seed=3)
    assert a != tune.sample_configs(space, 6, seed=4)
    assert all(c["epochs"] == 5 for c in a)
    assert isinstance(a[0]["lr"], float) and isinstance(a[0]["bs"], int)


@pytest.mark.parametrize("make, match", [
    (lambda: tune.uniform(1.0, 1.0), "empty"),
    (lambda: tune.uniform(2.0, 1.0), "inverted"),
    (lambda: tune.log_uniform(0.0, 1.0), "includes 0"),
    (lambda: tune.log_uniform(-1.0, 1.0), "includes 0"),
    (lambda: tune.log_uniform(1.0, 1e-3), "inverted"),
    (lambda: tune.one_minus_log_uniform(0.9, 1.0), "reaches 1"),
    (lambda: tune.int_uniform(5, 2), "inverted"),
    (lambda: tune.powers_of_two(0, 8), ">= 1"),
    (lambda: tune.powers_of_two(33, 60), "no power of two"),
    (lambda: tune.choice([]), "empty"),
    (lambda: tune.uniform(0.0, math.inf), "finite"),
])
def test_bad_ranges_raise_clear_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_types_raise():
    with pytest.raises(TypeError, match="int_uniform: low must be an integer"):
        tune.int_uniform(1.5, 4)
    with pytest.raises(TypeError, match="real number"):
        tune.uniform("0", 1)
    with pytest.raises(ValueError, match="JSON"):
        tune.validate_space({"f": object()})
    with pytest.raises(ValueError, match="empty"):
        tune.validate_space({})


def test_zoom_narrows_in_each_scale():
    lr = tune.log_uniform(1e-4, 1.0).zoom([1e-3], 0.5)
    assert math.isclose(math.log10(lr.high) - math.log10(lr.low), 2.0)
    assert math.isclose(math.sqrt(lr.low * lr.high), 1e-3, rel_tol=1e-9)  # centred in log space
    # near the edge the window shifts to stay inside
    lr = tune.log_uniform(1e-4, 1.0).zoom([0.9], 0.5)
    assert math.isclose(lr.high, 1.0) and math.isclose(lr.low, 1e-2)
    b = tune.one_minus_log_uniform(0.9, 0.9999).zoom([0.999], 1 / 3)
    assert math.isclose(b.low, 1 - 10 ** -2.5, rel_tol=1e-9) and math.isclose(b.high, 1 - 10 ** -3.5, rel_tol=1e-9)
    bs = tune.powers_of_two(16, 512).zoom([64, 128], 0.4)
    assert bs.values == [64, 128, 256]  # 3 of 6 exponents, centred on log2 = 6.5
    assert tune.int_uniform(0, 100).zoom([50], 0.1).low == 45
    assert tune.choice(["a", "b", "c"]).zoom(["c", "a"], 0.5).options == ["a", "c"]
    assert tune.choice(["a", "b", "c"]).zoom(["b"], 0.5) == "b"
    assert tune.powers_of_two(16, 32).zoom([16], 0.4) == 16  # collapsed -> constant
    z = tune.zoom_space({"x": tune.uniform(0, 1), "k": 7}, [{"x": 0.2, "k": 7}], 0.5)
    assert z["k"] == 7 and (z["x"].low, z["x"].high) == (0.0, 0.5)


def test_scales_known():
    assert [d.scale for d in (tune.uniform(0, 1), tune.log_uniform(1e-3, 1), tune.one_minus_log_uniform(0.9, 0.99),
                              tune.int_uniform(1, 4), tune.powers_of_two(2, 8), tune.choice([1]))] == \
        ["linear", "log", "one_minus_log", "linear", "log2", "categorical"]


def test_default_space_and_dict_round_trip():
    space = tune.default_space()
    assert set(space) == {"lr", "hidden_units", "batch_size", "dropout", "lr_decay"}
    assert space["lr"] == tune.log_uniform(1e-4, 1.0) and space["batch_size"].scale == "log2"
    assert tune.space_from_dict(tune.space_to_dict(space)) == space


def test_space_from_toml(tmp_path):
    p = tmp_path / "recipe.toml"
    p.write_text('[space]\nlr = { type = "log_uniform", low = 1e-4, high = 1.0 }\n'
                 'batch_size = { type = "powers_of_two", low = 16, high = 256 }\n'
                 'act = { type = "choice", options = ["relu", "tanh"] }\nepochs = 4\n')
    space = tune.space_from_toml(p)
    assert space == {"lr": tune.log_uniform(1e-4, 1.0), "batch_size": tune.powers_of_two(16, 256),
                     "act": tune.choice(["relu", "tanh"]), "epochs": 4}


@pytest.mark.parametrize("body, match", [
    ('lr = { type = "log_uniform", low = 0.0, high = 1.0 }', r"entry 'lr'.*includes 0"),
    ('lr = { type = "loguniform", low = 1e-3, high = 1.0 }', r"entry 'lr'.*unknown type 'loguniform'"),
    ('lr = { type = "uniform", low = 1.0 }', r"entry 'lr'.*'low' and 'high'"),
    ('lr = { low = 1.0, high = 2.0 }', r"entry 'lr' is a table without 'type'"),
    ('lr = { type = "uniform", low = 2.0, high = 1.0 }', r"entry 'lr'.*inverted"),
    ('lr = [1, 2', "invalid TOML"),
])
def test_space_from_toml_bad_entries(tmp_path, body, match):
    p = tmp_path / "bad.toml"
    p.write_text(body + "\n")
    with pytest.raises(ValueError, match=match) as e:
        tune.space_from_toml(p)
    assert "bad.toml" in str(e.value)
