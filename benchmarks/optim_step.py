"""Time one optimizer step on the MLP 784-256-256-10 parameters (~270k float32): gradkit vs torch.

Run: ``PYTHONPATH=src python3 benchmarks/optim_step.py [--repeat 7] [--number 200]``.
Each step sees fresh gradient arrays (as after a backward pass), so gradkit's gather into its
flat buffer is part of the measured time. Prints milliseconds per step and ratios.
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np

SHAPES = [(256, 784), (256,), (256, 256), (256,), (10, 256), (10,)]


def interleaved(fns, number, repeat):
    """Best time (ms per call) of each function, timed in alternation so load changes hit all alike."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            best[k] = min(best[k], timeit.timeit(fn, number=number) / number * 1e3)
    return best


def gradkit_step(name, kw, grads):
    import gradkit as gk

    params = [gk.tensor(np.random.default_rng(0).standard_normal(s).astype(np.float32), requires_grad=True)
              for s in SHAPES]
    opt = getattr(gk.optim, name)(params, **kw)
    gts = [gk.tensor(g) for g in grads]

    def step():
        for p, g in zip(params, gts):
            p.grad = g
        opt.step()

    for _ in range(5):
        step()
    return step


def torch_step(name, kw, grads):
    import torch

    params = [torch.nn.Parameter(torch.randn(s)) for s in SHAPES]
    opt = getattr(torch.optim, name)(params, **kw)
    gts = [torch.from_numpy(g) for g in grads]

    def step():
        for p, g in zip(params, gts):
            p.grad = g
        opt.step()

    for _ in range(5):
        step()
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--number", type=int, default=200)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    n = sum(int(np.prod(s)) for s in SHAPES)
    print(f"MLP 784-256-256-10: {len(SHAPES)} tensors, {n} float32 parameters")
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
        print("(torch not installed: gradkit numbers only; pip install torch==2.13.0)")
    rows = [("Adam", dict(lr=1e-3)), ("AdamW", dict(lr=1e-3)), ("SGD", dict(lr=0.1, momentum=0.9)),
            ("RMSprop", dict(lr=1e-3)), ("Adagrad", dict(lr=1e-2)), ("NAdam", dict(lr=2e-3))]
    print(f"{'optimizer':<10}{'gradkit ms':>12}{'torch ms':>10}{'fused ms':>10}{'torch/gk':>10}{'fused/gk':>10}")
    for name, kw in rows:
        fns = [gradkit_step(name, kw, grads)]
        has_fused = name in ("Adam", "AdamW", "SGD", "Adagrad")
        if have_torch:
            fns.append(torch_step(name, kw, grads))
            if has_fused:
                fns.append(torch_step(name, dict(kw, fused=True), grads))
        times = interleaved(fns, args.number, args.repeat)
        g = times[0]
        line = f"{name:<10}{g:>12.3f}"
        if have_torch:
            t = times[1]
            f = times[2] if has_fused else float("nan")
            line += f"{t:>10.3f}{f:>10.3f}{t / g:>10.2f}{f / g:>10.2f}"
        print(line)


if __name__ == "__main__":
    main()
