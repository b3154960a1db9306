"""The training workloads of ``gpu_check.py``: one model per case, in gradkit and in PyTorch, and the
worker that times one of them in its own process.

Cases (both frameworks, random data, cross-entropy or mean-square loss, Adam lr 1e-3):

* ``mlp``: Linear(784, 256)-ReLU-Linear(256, 256)-ReLU-Linear(256, 10);
* ``cnn``: Conv2d(1,16,3,p1)-ReLU-MaxPool2-Conv2d(16,32,3,p1)-ReLU-MaxPool2-Flatten-Linear(1568,10) on 1x28x28;
* ``lstm``: LSTM(32 -> 128), 40 steps, mean square of the outputs against random targets.

``train_flops(case)`` is the multiply-adds of a forward pass times 2 (a multiply and an add) times
3 (forward, and the backward's two products): the work a training step does per sample, from which
the share of the GPU's measured matmul peak follows.
"""

from __future__ import annotations

import json
import time

IN_LSTM, H_LSTM, T_LSTM = 32, 128, 40


def train_flops(case: str) -> float:
    """Floating-point operations of one training step, per sample (GEMM/convolution work only)."""
    if case == "mlp":
        macs = 784 * 256 + 256 * 256 + 256 * 10
    elif case == "cnn":
        macs = 28 * 28 * 16 * 9 + 14 * 14 * 32 * 16 * 9 + 1568 * 10
    elif case == "lstm":
        macs = T_LSTM * 4 * H_LSTM * (IN_LSTM + H_LSTM)
    else:
        raise ValueError(f"unknown case {case!r}; expected mlp, cnn or lstm")
    return 6.0 * macs


def _data(case: str, batch: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    if case == "mlp":
        return rng.standard_normal((batch, 784)).astype(np.float32), rng.integers(0, 10, batch)
    if case == "cnn":
        return rng.standard_normal((batch, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, batch)
    return (rng.standard_normal((T_LSTM, batch, IN_LSTM)).astype(np.float32),
            rng.standard_normal((T_LSTM, batch, H_LSTM)).astype(np.float32))


def gradkit_step(case: str, batch: int, device: str):
    """A function running one training step in gradkit on ``device``, and one that waits for the device."""
    import gradkit as gk
    from gradkit import nn

    gk.manual_seed(0)
    x, y = _data(case, batch)
    xt, yt = gk.tensor(x, device=device), gk.tensor(y, device=device)
    if case == "mlp":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    elif case == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(1568, 10))
    else:
        model = nn.LSTM(IN_LSTM, H_LSTM)
    model.to(device)
    opt = gk.optim.Adam(model.parameters(), lr=1e-3)
    ce = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        if case == "lstm":
            out, _ = model(xt)
            d = out - yt
            loss = (d * d).mean()
        else:
            loss = ce(model(xt), yt)
        loss.backward()
        opt.step()

    def sync():
        if device != "cpu":
            import cupy

            cupy.cuda.Device().synchronize()

    return step, sync


def torch_step(case: str, batch: int, device: str):
    """The same training step in PyTorch eager, and its synchronize."""
    import torch

    torch.manual_seed(0)
    dev = torch.device(device)
    x, y = _data(case, batch)
    xt, yt = torch.from_numpy(x).to(dev), torch.from_numpy(y).to(dev)
    nn = torch.nn
    if case == "mlp":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    elif case == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(1568, 10))
    else:
        model = nn.LSTM(IN_LSTM, H_LSTM)
    model.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        if case == "lstm":
            out, _ = model(xt)
            loss = ((out - yt) ** 2).mean()
        else:
            loss = nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    return step, sync


def time_steps(step, sync, seconds: float, warmup: int = 3) -> float:
    """Steps per second: ``warmup`` steps, then chunks of steps (synchronized) until ``seconds`` pass."""
    for _ in range(warmup):
        step()
    sync()
    n, chunk = 0, 1
    t0 = time.perf_counter()
    while True:
        for _ in range(chunk):
            step()
        sync()
        n += chunk
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return n / elapsed
        chunk = min(chunk * 2, 64)


def matmul_peak(device: str, n: int, seconds: float) -> float:
    """Measured float32 matrix-multiply FLOP/s at ``n x n x n`` (CuPy's cuBLAS on a GPU, NumPy on the CPU)."""
    import numpy as np

    if device == "cpu":
        xp, sync = np, (lambda: None)
    else:
        import cupy as xp

        def sync():
            xp.cuda.Device().synchronize()
    a = xp.asarray(np.random.default_rng(0).standard_normal((n, n)).astype(np.float32))
    b = xp.asarray(np.random.default_rng(1).standard_normal((n, n)).astype(np.float32))
    rate = time_steps(lambda: a @ b, sync, seconds)
    return rate * 2.0 * n ** 3


def worker(framework: str, case: str, batch: int, device: str, seconds: float) -> None:
    """Print one JSON line: ``{"samples_per_s": ...}`` of ``framework`` on ``case``."""
    make = gradkit_step if framework == "gradkit" else torch_step
    step, sync = make(case, batch, device)
    rate = time_steps(step, sync, seconds)
    print(json.dumps({"framework": framework, "case": case, "batch": batch, "samples_per_s": rate * batch}))
