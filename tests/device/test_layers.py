"""Every layer on the device: the whole layer contract, the recurrent layers, pooling and conv.

``test_every_layer_contract_on_the_device`` runs every test of the suite that calls
``gradkit.testing.check_layer`` (found by reading the test's source, so a contract test added
anywhere is picked up) with ``--contract-device cuda``: the same contract, with every layer and
input moved to the device. The recurrent layers (whose CPU tests call gradcheck directly) get
their contract here.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradkit as gk
from gradkit.diagnose import gradcheck
from gradkit.nn.module import functional_call
from gradkit.testing import check_layer

from .conftest import host

ROOT = Path(__file__).resolve().parents[2]


def test_every_layer_contract_on_the_device():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
           "--contract-device", "cuda", "tests", "-x"]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    tail = (r.stdout + r.stderr)[-6000:]
    assert r.returncode == 0, tail
    assert " passed" in tail and "failed" not in tail, tail


RECURRENT = [
    ("rnn_tanh", lambda: gk.nn.RNN(3, 4, num_layers=2), (5, 2, 3), (5, 2, 4)),
    ("rnn_relu_bi", lambda: gk.nn.RNN(3, 4, nonlinearity="relu", bidirectional=True), (5, 2, 3), (5, 2, 8)),
    ("lstm", lambda: gk.nn.LSTM(3, 4, bidirectional=True), (5, 2, 3), (5, 2, 8)),
    ("lstm_batch_first", lambda: gk.nn.LSTM(3, 4, batch_first=True, bias=False), (2, 5, 3), (2, 5, 4)),
    ("gru", lambda: gk.nn.GRU(3, 4, num_layers=2, batch_first=True), (2, 5, 3), (2, 5, 4)),
    ("lstm_unfused", lambda: gk.nn.LSTM(3, 4, fused=False), (5, 2, 3), (5, 2, 4)),
    ("gru_unfused", lambda: gk.nn.GRU(3, 4, fused=False), (5, 2, 3), (5, 2, 4)),
]


@pytest.mark.parametrize("name,make,shape,out", RECURRENT, ids=[c[0] for c in RECURRENT])
def test_recurrent_layer_contract_on_device(name, make, shape, out):
    check_layer(make, shape, expected_output_shape=out, output_fn=lambda o: o[0], device="cuda",
                gradcheck_max_elements=24, check_summary=False)


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_recurrent_cell_contract_on_device(cell):
    check_layer(lambda: getattr(gk.nn, cell)(3, 4), (2, 3), device="cuda", check_summary=False,
                output_fn=lambda o: o if isinstance(o, gk.Tensor) else o[0])


def test_embedding_contract_on_device():
    ids = lambda dt: gk.tensor(np.array([[1, 0, 3], [2, 2, 4]]))  # noqa: E731
    check_layer(lambda: gk.nn.Embedding(5, 3), (2, 3), input_fn=ids, device="cuda")


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_recurrent_layers_match_the_cpu_with_lengths(name, with_lengths):
    rng = np.random.default_rng(0)
    m = getattr(gk.nn, name)(2, 3, num_layers=2, bidirectional=True, dtype="float64")
    x = rng.standard_normal((4, 3, 2))
    lengths = np.array([4, 1, 3]) if with_lengths else None
    outs = []
    for dev in ("cpu", "cuda"):
        m.to(dev)
        xt = gk.tensor(x, requires_grad=True, device=dev)
        out, hn = m(xt, lengths=lengths)
        hn = hn[0] if name == "LSTM" else hn
        (out.sum() + (hn * hn).sum()).backward()
        outs.append((host(out), host(xt.grad), [host(p.grad) for p in m.parameters()]))
        assert out.device == dev and all(p.grad.device == dev for p in m.parameters())
        m.zero_grad()
    (yc, gc, pc), (yd, gd, pd) = outs
    np.testing.assert_allclose(yd, yc, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gd, gc, rtol=1e-10, atol=1e-12)
    for a, b in zip(pd, pc):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_recurrent_gradcheck_on_device_fused_and_unfused():
    rng = np.random.default_rng(1)
    for fused in (True, False):
        m = gk.nn.LSTM(2, 3, dtype="float64", fused=fused).to("cuda")
        names = [n for n, _ in m.named_parameters()]
        params = [p.detach().clone().requires_grad_(True) for _, p in m.named_parameters()]
        x = gk.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True, device="cuda")

        def fn(x, *ps):
            out, (h, c) = functional_call(m, dict(zip(names, ps)), (x,))
            return gk.cat([out.reshape(-1), c.reshape(-1)])

        assert gradcheck(fn, [x, *params], max_elements=16).passed


@pytest.mark.parametrize("make,shape", [
    (lambda: gk.nn.Conv2d(3, 4, 3, padding=1, stride=2), (2, 3, 7, 7)),
    (lambda: gk.nn.Conv2d(4, 4, 3, groups=2, dilation=2), (2, 4, 8, 8)),
    (lambda: gk.nn.Conv1d(3, 2, 5, padding="same"), (2, 3, 9)),
    (lambda: gk.nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 7)),
    (lambda: gk.nn.AvgPool2d(2), (2, 3, 6, 6)),
    (lambda: gk.nn.AdaptiveAvgPool2d((2, 3)), (2, 3, 5, 7)),
])
def test_conv_and_pooling_match_the_cpu(make, shape):
    gk.manual_seed(3)
    m = make().to(dtype="float64")
    x = np.random.default_rng(2).standard_normal(shape)
    res = []
    for dev in ("cpu", "cuda"):
        m.to(dev)
        xt = gk.tensor(x, requires_grad=True, device=dev)
        y = m(xt)
        (y * y).sum().backward()
        res.append((host(y), host(xt.grad), [host(p.grad) for p in m.parameters()]))
        m.zero_grad()
    (yc, gc, pc), (yd, gd, pd) = res
    np.testing.assert_allclose(yd, yc, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gd, gc, rtol=1e-10, atol=1e-12)
    for a, b in zip(pd, pc):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
