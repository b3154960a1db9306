"""Engine overhead and a raw-engine MLP training step, side by side with PyTorch on the CPU.

Two measurements, both run here in one process so the ratios compare like with like:

1. Per-op overhead: a chain of 1,000 tiny ops (elementwise on 4-element tensors), forward
   and backward. This is pure framework overhead: graph recording, dispatch, allocation.
2. One training step of a 784-256-256-10 MLP (batch 128, float32) written on the raw engine
   (``gk.linear``, ``relu``, a log-softmax cross-entropy made of primitives, plain SGD
   update), against the same model in PyTorch.

Usage:
    python benchmarks/engine_vs_torch.py [--threads N] [--repeat R]

Prints times and ratios (> 1 means gradkit is faster).
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def _best(fn, repeat, number):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    import numpy as np

    import gradkit as gk

    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: pip install torch==2.13.0 (CPU) to compare", file=sys.stderr)
        return 1
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)

    # ---------------------------------------------------------------- 1. per-op overhead
    n_ops = 1000
    xg = gk.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    xt = torch.tensor(xg.numpy(), requires_grad=True)

    def chain_gk():
        y = xg
        for _ in range(n_ops // 2):
            y = (y * 1.0001) + 0.001
        y.sum().backward()
        xg.grad = None

    def chain_torch():
        y = xt
        for _ in range(n_ops // 2):
            y = (y * 1.0001) + 0.001
        y.sum().backward()
        xt.grad = None

    t_gk = _best(chain_gk, args.repeat, 3)
    t_th = _best(chain_torch, args.repeat, 3)
    print(f"per-op overhead (forward + backward, {n_ops} ops on 4 elements)")
    print(f"  gradkit {t_gk / n_ops * 1e6:7.2f} us/op   torch {t_th / n_ops * 1e6:7.2f} us/op   "
          f"ratio {t_th / t_gk:5.2f}x")

    # ---------------------------------------------------------------- 2. MLP training step
    sizes = [784, 256, 256, 10]
    batch = 128
    X = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    onehot = np.eye(10, dtype=np.float32)[y]
    lr = 0.01

    ws, bs = [], []
    for i, o in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(i)
        ws.append(rng.uniform(-bound, bound, (o, i)).astype(np.float32))
        bs.append(rng.uniform(-bound, bound, o).astype(np.float32))
    gW = [gk.tensor(w.copy(), requires_grad=True) for w in ws]
    gB = [gk.tensor(b.copy(), requires_grad=True) for b in bs]
    tW = [torch.tensor(w.copy(), requires_grad=True) for w in ws]
    tB = [torch.tensor(b.copy(), requires_grad=True) for b in bs]
    Xg, Yg = gk.tensor(X), gk.tensor(onehot)
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def step_gk():
        h = Xg
        for k in range(3):
            h = gk.linear(h, gW[k], gB[k])
            if k < 2:
                h = h.relu()
        logp = h - h.logsumexp(1, keepdim=True)
        loss = -(logp * Yg).sum() * (1.0 / batch)
        loss.backward()
        with gk.no_grad():
            for p in gW + gB:
                p.array -= lr * p.grad.array
                p.grad = None
        return loss

    def step_torch():
        h = Xt
        for k in range(3):
            h = torch.nn.functional.linear(h, tW[k], tB[k])
            if k < 2:
                h = h.relu()
        loss = torch.nn.functional.cross_entropy(h, yt)
        loss.backward()
        with torch.no_grad():
            for p in tW + tB:
                p -= lr * p.grad
                p.grad = None
        return loss

    # the two models start equal: check they compute the same loss before timing
    l_gk, l_th = step_gk().item(), step_torch().item()
    assert abs(l_gk - l_th) < 1e-4, (l_gk, l_th)
    t_gk = _best(step_gk, args.repeat, 20)
    t_th = _best(step_torch, args.repeat, 20)
    print(f"MLP 784-256-256-10 training step, batch {batch}, SGD ({args.threads} threads)")
    print(f"  gradkit {t_gk * 1e3:7.3f} ms ({batch / t_gk:8.0f} samples/s)   "
          f"torch {t_th * 1e3:7.3f} ms ({batch / t_th:8.0f} samples/s)   ratio {t_th / t_gk:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
