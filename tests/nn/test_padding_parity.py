"""Padding layers: torch parity (values and grads), the layer contract, config round trip."""

import numpy as np
import pytest

import gradkit as gk
from gradkit.testing import check_layer

from .parity_helpers import compare, rand

NAMES = [f"{kind}Pad{n}d" for kind in ("Constant", "Zero", "Reflection", "Replication", "Circular") for n in (1, 2, 3)]


def _args(name, n):
    pad = tuple([1, 2, 2, 0, 1, 1][: 2 * n])
    return (pad, 0.5) if name.startswith("Constant") else (pad,)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("batched", [True, False])
def test_matches_torch(name, batched):
    torch = pytest.importorskip("torch")
    n = int(name[-2])
    args = _args(name, n)
    shape = ((2,) if batched else ()) + (3,) + (4,) * n
    compare(torch, getattr(gk.nn, name)(*args), getattr(torch.nn, name)(*args), [rand(shape, 1)])
    compare(torch, getattr(gk.nn, name)(*((2,) + args[1:])), getattr(torch.nn, name)(*((2,) + args[1:])), [rand(shape, 2)])


@pytest.mark.parametrize("name", ["ConstantPad2d", "ReflectionPad1d", "ReplicationPad2d", "CircularPad1d"])
def test_contract(name):
    n = int(name[-2])
    args = _args(name, n)
    shape = (2, 3) + (4,) * n
    check_layer(lambda: getattr(gk.nn, name)(*args), shape)


def test_errors():
    with pytest.raises(ValueError, match="4 ints"):
        gk.nn.ReflectionPad2d((1, 2))
    with pytest.raises(ValueError, match="3-D"):
        gk.nn.ReflectionPad2d(1)(gk.ones(4, 4))
    assert np.array_equal(gk.nn.ZeroPad2d((-1, 0, 0, 0))(gk.ones(1, 1, 2, 3)).numpy(), np.ones((1, 1, 2, 2)))
