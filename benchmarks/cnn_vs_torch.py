"""Training throughput of a small CNN: gradkit vs PyTorch on the CPU, side by side in one run.

Model (both frameworks, same initial weights):
    Conv2d(1,16,3,p1)-ReLU-MaxPool2-Conv2d(16,32,3,p1)-ReLU-MaxPool2-Flatten-Linear(1568,10)
Batch 64 of random 1x28x28 inputs and labels, cross-entropy loss, Adam (lr 1e-3).
Both run with the same number of threads (``--threads``, default: all cores), each framework
in its own child process (idle OpenMP/BLAS threads of one framework spin for a while after
its work and would slow the other if they shared a process), timed in alternating rounds so
that machine noise hits both alike. Prints samples/s and the ratio gradkit / PyTorch, and
with ``--profile`` where gradkit's time goes (per op, forward and backward, from timers
around every op call, in this process).

Run it on an otherwise idle machine. When other processes compete for the cores, multi-threaded
workers of both frameworks spin and wait and the 2-thread numbers swing by 10x from round to
round; ``--threads 1`` then still gives a usable ratio.

Run:
    PYTHONPATH=src python3 benchmarks/cnn_vs_torch.py [--seconds 3] [--rounds 3] [--threads 2] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict

from _common import run_worker  # benchmarks/ is on sys.path when a script runs


def _set_threads(n: int) -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(n))


def build_gradkit(seed: int = 0):
    import gradkit as gk
    from gradkit import nn

    gk.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1568, 10),
    )
    return model


def build_torch(gk_model):
    import torch

    tnn = torch.nn
    model = tnn.Sequential(
        tnn.Conv2d(1, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(16, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(1568, 10),
    )
    with torch.no_grad():
        for (_, p_gk), (_, p_t) in zip(gk_model.named_parameters(), model.named_parameters()):
            p_t.copy_(torch.from_numpy(p_gk.numpy().copy()))
    return model


def _data(batch, n_batches=8):
    import numpy as np

    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((batch, 1, 28, 28)).astype(np.float32) for _ in range(n_batches)]
    ys = [rng.integers(0, 10, batch) for _ in range(n_batches)]
    return xs, ys


def gradkit_step_fn(batch):
    import gradkit as gk
    import gradkit.nn.functional as F

    xs, ys = _data(batch)
    model = build_gradkit()
    opt, opt_name = gk.optim.Adam(model.parameters(), lr=1e-3), "gk.optim.Adam"
    gx = [gk.tensor(x) for x in xs]
    gy = [gk.tensor(y) for y in ys]

    def step(i):
        loss = F.cross_entropy(model(gx[i % len(gx)]), gy[i % len(gy)])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step, opt_name


def torch_step_fn(batch, threads):
    import torch

    torch.set_num_threads(threads)
    xs, ys = _data(batch)
    model = build_torch(build_gradkit())  # the same initial weights as gradkit's
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    tx = [torch.from_numpy(x) for x in xs]
    ty = [torch.from_numpy(y) for y in ys]

    def step(i):
        loss = torch.nn.functional.cross_entropy(model(tx[i % len(tx)]), ty[i % len(ty)])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return step


def _timed(step, seconds):
    for i in range(3):  # warm-up
        step(i)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step(n)
        n += 1
    return n / (time.perf_counter() - t0)


def worker(framework, args):
    """Child process: warm up, time steps for ``--seconds``, print steps/s as JSON."""
    if framework == "torch":
        step = torch_step_fn(args.batch, args.threads)
    else:
        import gradkit as gk

        gk.parallel.tune_allocator()  # the worker owns its process, as `gradkit train` does
        step, _ = gradkit_step_fn(args.batch)
    print(json.dumps({"steps_per_s": _timed(step, args.seconds)}))


def _run_child(framework, args):
    worker_args = ["--worker", framework, "--batch", args.batch, "--seconds", args.seconds, "--threads", args.threads]
    return run_worker(__file__, worker_args, args.threads, framework)["steps_per_s"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=3.0, help="timed seconds per framework per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--profile", action="store_true", help="time every gradkit op (forward and backward)")
    ap.add_argument("--worker", choices=["gradkit", "torch"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    _set_threads(args.threads)
    if args.worker:
        worker(args.worker, args)
        return

    import gradkit.nn.functional as F

    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed (pip install torch==2.13.0 for the CPU wheel): timing gradkit only")

    gk_step, opt_name = gradkit_step_fn(args.batch)
    if torch is not None:
        # same weights and data: the first losses must agree
        import gradkit as gk

        xs, ys = _data(args.batch, 1)
        model = build_gradkit()
        l_gk = F.cross_entropy(model(gk.tensor(xs[0])), gk.tensor(ys[0])).item()
        tmodel = build_torch(model)
        l_t = torch.nn.functional.cross_entropy(tmodel(torch.from_numpy(xs[0])), torch.from_numpy(ys[0])).item()
        print(f"initial loss: gradkit {l_gk:.6f}  torch {l_t:.6f}")

    print(f"batch {args.batch}, {args.threads} threads, gradkit optimizer: {opt_name}; "
          "each framework timed in its own process, alternating rounds")
    gk_rates, t_rates = [], []
    for r in range(args.rounds):
        gk_rates.append(args.batch * _run_child("gradkit", args))
        line = f"round {r + 1}: gradkit {gk_rates[-1]:8.0f} samples/s"
        if torch is not None:
            t_rates.append(args.batch * _run_child("torch", args))
            line += f"   torch {t_rates[-1]:8.0f} samples/s   ratio {gk_rates[-1] / t_rates[-1]:.2f}x"
        print(line, flush=True)
    best_gk = max(gk_rates)
    print(f"\ngradkit: {best_gk:.0f} samples/s (best of {args.rounds}), {1000 * args.batch / best_gk:.2f} ms/step")
    if torch is not None:
        best_t = max(t_rates)
        print(f"torch:   {best_t:.0f} samples/s (best of {args.rounds}), {1000 * args.batch / best_t:.2f} ms/step")
        print(f"ratio gradkit/torch: {best_gk / best_t:.2f}x (median of rounds "
              f"{sorted(g / t for g, t in zip(gk_rates, t_rates))[len(t_rates) // 2]:.2f}x)")

    if args.profile:
        profile_ops(gk_step, steps=60)


def profile_ops(step, steps: int) -> None:
    """Wrap every Op's forward and backward with a timer and print the totals per op."""
    from gradkit.autograd.function import Op

    fwd, bwd, calls = defaultdict(float), defaultdict(float), defaultdict(int)
    patched = []

    def all_subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from all_subclasses(sub)

    for cls in set(all_subclasses(Op)):
        # a FusedOp's derivative is its backward_arrays (its backward is FusedOp's dispatcher)
        for attr, table in (("forward", fwd), ("backward", bwd), ("backward_arrays", bwd)):
            if attr not in cls.__dict__:
                continue
            orig = cls.__dict__[attr]

            def wrapper(self, *a, _orig=orig, _table=table, _name=cls.__name__, _attr=attr, **k):
                t0 = time.perf_counter()
                out = _orig(self, *a, **k)
                _table[_name] += time.perf_counter() - t0
                if _attr == "forward":
                    calls[_name] += 1
                return out

            patched.append((cls, attr, orig))
            setattr(cls, attr, wrapper)
    try:
        for i in range(3):
            step(i)
        fwd.clear(), bwd.clear(), calls.clear()
        t0 = time.perf_counter()
        for i in range(steps):
            step(i)
        total = (time.perf_counter() - t0) / steps
    finally:
        for cls, attr, orig in patched:
            setattr(cls, attr, orig)
    print(f"\nwhere gradkit's time goes ({steps} steps, {1000 * total:.2f} ms/step with timers; "
          "backward times include the ops they call):")
    names = sorted(set(fwd) | set(bwd), key=lambda n: -(fwd[n] + bwd[n]))
    print(f"  {'op':<22}{'calls/step':>11}{'forward ms':>12}{'backward ms':>13}")
    for n in names:
        print(f"  {n:<22}{calls[n] / steps:>11.1f}{1000 * fwd[n] / steps:>12.3f}{1000 * bwd[n] / steps:>13.3f}")


if __name__ == "__main__":
    sys.exit(main())
