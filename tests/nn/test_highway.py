"""gk.nn.Highway (Srivastava et al., 2015): formula, gate bias, contract, config round trip."""

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.diagnose import gradcheck
from gradkit.testing import check_layer


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("num_layers,activation", [(1, "relu"), (2, "tanh")])
def test_highway_contract(num_layers, activation):
    report = check_layer(lambda: nn.Highway(4, num_layers=num_layers, activation=activation), (5, 4),
                         expected_output_shape=(5, 4))
    assert report["output_shape"] == (5, 4)


def test_highway_matches_the_formula_layer_by_layer():
    gk.manual_seed(0)
    hw = nn.Highway(3, num_layers=2, activation="tanh").double()
    x = np.random.default_rng(1).normal(size=(4, 3))
    y = x
    for i in range(2):
        sd = {k: v.numpy() for k, v in hw.state_dict().items()}
        h = np.tanh(y @ sd[f"layers.{i}.hidden.weight"].T + sd[f"layers.{i}.hidden.bias"])
        t = _sigmoid(y @ sd[f"layers.{i}.transform.weight"].T + sd[f"layers.{i}.transform.bias"])
        y = t * h + (1 - t) * y
    np.testing.assert_allclose(hw(gk.tensor(x)).numpy(), y, rtol=1e-12, atol=1e-12)


def test_highway_gate_bias_starts_at_minus_two_and_names():
    hw = nn.Highway(5, num_layers=3)
    for layer in hw.layers:
        assert layer["transform"].bias.numpy().tolist() == [-2.0] * 5
        assert np.abs(layer["hidden"].bias.numpy()).max() <= 1 / np.sqrt(5)  # Linear's default
    assert list(hw.state_dict()) == [f"layers.{i}.{m}.{p}" for i in range(3) for m in ("hidden", "transform")
                                     for p in ("weight", "bias")]
    hw.layers[0]["transform"].bias.array[...] = 0.0
    hw.reset_parameters()
    assert hw.layers[0]["transform"].bias.numpy().tolist() == [-2.0] * 5


def test_highway_carries_when_the_gate_is_closed():
    hw = nn.Highway(4)
    with gk.no_grad():
        hw.layers[0]["transform"].bias.array[...] = -1e4  # T = 0: y = x
    x = gk.randn(3, 4)
    np.testing.assert_array_equal(hw(x).numpy(), x.numpy())


def test_highway_float64_gradcheck_through_input_and_parameters():
    hw = nn.Highway(3, num_layers=2, activation="tanh").double()
    x = gk.randn(2, 3, dtype=gk.float64, requires_grad=True)
    params = list(hw.parameters())
    names = [n for n, _ in hw.named_parameters()]
    assert gradcheck(lambda x, *ps: gk.nn.functional_call(hw, dict(zip(names, ps)), (x,)), (x, *params))


def test_highway_config_round_trip_through_load_model(tmp_path):
    hw = nn.Highway(6, num_layers=2, activation="selu")
    assert hw.get_config() == {"features": 6, "num_layers": 2, "activation": "selu"}
    path = tmp_path / "hw.safetensors"
    gk.save(hw, path)
    twin = gk.load_model(path)
    assert type(twin) is nn.Highway and twin.num_layers == 2 and twin.activation == "selu"
    x = gk.randn(3, 6)
    assert twin(x).numpy().tobytes() == hw(x).numpy().tobytes()


def test_highway_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"Highway\(features=4\) expected input with last dimension 4, got shape \(2, 3\)"):
        nn.Highway(4)(gk.zeros(2, 3))
    with pytest.raises(ValueError, match="unknown activation 'swishy'"):
        nn.Highway(4, activation="swishy")
    with pytest.raises(ValueError, match="positive sizes"):
        nn.Highway(4, num_layers=0)
