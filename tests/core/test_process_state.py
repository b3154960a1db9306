"""gradkit is a guest in its user's process: importing it and running its kernels leave the
process as it was (BLAS threads, allocator, global RNGs, warnings, signals), and grad mode
belongs to the thread that sets it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

import gradkit as gk

# Runs in a fresh interpreter: records the process's state, imports gradkit, runs a conv net,
# pooling, an LSTM and an MLP training step on two threads, and compares.
_SCRIPT = textwrap.dedent(
    """
    import ctypes, json, signal, sys, warnings

    looked_up = []

    class Recording(ctypes.CDLL):
        def __getattr__(self, name):
            looked_up.append(name)
            return super().__getattr__(name)

        def __getitem__(self, name):
            looked_up.append(name)
            return super().__getitem__(name)

    ctypes.CDLL = Recording

    import numpy as np
    from threadpoolctl import threadpool_info, threadpool_limits

    def state():
        return {
            "blas": [(i["filepath"], i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"],
            "np_rng": np.random.get_state()[1][:8].tolist(),
            "warnings": [repr(f) for f in warnings.filters],
            "signals": [repr(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM)],
            "np_err": np.geterr(),
            "switch": sys.getswitchinterval(),
            "mpl_backend": matplotlib.get_backend() if matplotlib else None,
        }

    threadpool_limits(limits=2, user_api="blas")  # the user's own choice
    try:
        import matplotlib
        matplotlib.use("svg")  # the user's plotting set-up (a notebook would have its inline backend)
    except ImportError:
        matplotlib = None
    before = state()

    import gradkit as gk
    from gradkit import nn
    import gradkit.nn.functional as F

    gk.set_num_threads(2)
    gk.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(8 * 14 * 14, 10))
    opt = gk.optim.Adam(cnn.parameters(), lr=1e-3)
    x = gk.randn(32, 1, 28, 28)
    y = gk.randint(0, 10, (32,))
    loss = F.cross_entropy(cnn(x), y)
    loss.backward()
    opt.step()
    lstm = nn.LSTM(16, 32, batch_first=True)
    out, _ = lstm(gk.randn(8, 20, 16))
    out.sum().backward()
    mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    sgd = gk.optim.SGD(mlp.parameters(), lr=0.1, momentum=0.9)
    F.cross_entropy(mlp(gk.randn(128, 784)), gk.randint(0, 10, (128,))).backward()
    sgd.step()
    pooled = F.avg_pool2d(gk.randn(4, 3, 16, 16, requires_grad=True), 2)
    pooled.sum().backward()
    if matplotlib:
        import os, tempfile
        from gradkit.train.history import History
        h = History()
        h.append(0, {"loss": 1.0, "val_loss": 1.1})
        gk.train.plot_history(h, os.path.join(tempfile.mkdtemp(), "curves.png"))

    after = state()
    print(json.dumps({"before": before, "after": after, "mallopt": "mallopt" in looked_up}))
    """
)


def _run(script: str) -> dict:
    import json

    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_import_and_kernels_leave_the_process_as_it_was():
    pytest.importorskip("threadpoolctl")
    out = _run(_SCRIPT)
    assert out["after"] == out["before"]
    assert not out["mallopt"], "gradkit tuned the allocator without being asked"


def test_tune_allocator_is_an_explicit_opt_in():
    script = _SCRIPT.replace("after = state()", "gk.parallel.tune_allocator()\nafter = state()")
    out = _run(script)
    assert out["mallopt"] == sys.platform.startswith("linux")
    assert out["after"] == out["before"]  # it touches the allocator only


def test_no_grad_belongs_to_the_thread_that_sets_it():
    x = gk.ones(3, requires_grad=True)
    entered, checked = threading.Event(), threading.Event()
    seen = {}

    def other():
        entered.wait(5)
        seen["other_enabled"] = gk.is_grad_enabled()
        seen["other_records"] = (x * 2).requires_grad
        checked.set()

    t = threading.Thread(target=other)
    t.start()
    with gk.no_grad():
        entered.set()
        checked.wait(5)
        seen["main_records"] = (x * 2).requires_grad
    t.join()
    assert seen == {"other_enabled": True, "other_records": True, "main_records": False}
    assert gk.is_grad_enabled()


def test_a_new_thread_starts_with_recording_on_and_keeps_its_own_mode():
    results = []
    gk.set_grad_enabled(False)
    try:
        def worker():
            results.append(gk.is_grad_enabled())
            with gk.no_grad():
                results.append(gk.is_grad_enabled())
            results.append(gk.is_grad_enabled())

        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not gk.is_grad_enabled()  # the worker's changes stayed in the worker
    finally:
        gk.set_grad_enabled(True)
    assert results == [True, False, True]
