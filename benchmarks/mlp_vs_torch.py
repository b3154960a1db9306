"""One training epoch of an MLP: gradkit's own fit loop vs a plain PyTorch loop vs scikit-learn.

The task (the same for all three):
    784-256-256-10 MLP (ReLU), cross-entropy, Adam (lr 1e-3, betas 0.9/0.999, eps 1e-8, no weight
    decay), mini-batches of 128, float32, 20,000 random samples (standard-normal inputs, labels
    uniform over 10 classes, from ``numpy.random.default_rng(0)``), reshuffled every epoch.

The contestants:
    gradkit   ``gk.train.fit(model, "cross_entropy", gk.optim.Adam(...), (X, y), epochs=1,
              batch_size=128, verbose=0)`` with no metrics (``--metrics accuracy`` adds the running
              accuracy); each call is one epoch, including fit's own setup (input check, loader).
    torch     a plain loop: ``randperm`` shuffle, index a batch, forward, ``F.cross_entropy``,
              ``zero_grad``, ``backward``, ``Adam.step`` (the default, non-fused implementation),
              ``loss.item()`` per batch (as fit does); ``torch.set_num_threads(os.cpu_count())``.
    sklearn   ``MLPClassifier(hidden_layer_sizes=(256, 256), solver="adam", batch_size=128,
              learning_rate_init=1e-3, alpha=0.0)``; one epoch is one ``partial_fit`` call (the
              first one, the warm-up, also initializes the weights); warnings suppressed.
              It trains in float32 when given float32 data (scikit-learn >= 1.2).

Timing: each framework runs in its own fresh subprocess (so neither imports nor memory mix),
with the same BLAS/OpenMP thread count (``--threads``, default all cores). In each subprocess one
warm-up epoch runs first, then ``--epochs`` timed epochs; the best epoch counts. With ``--rounds
R`` the three subprocesses run ``R`` times in alternation (so machine noise hits all alike) and
the best round counts. Throughput is ``20,000 / best epoch seconds``.

Memory: measured per subprocess from the kernel's resident-set counters, which cover NumPy,
PyTorch's own allocator and BLAS buffers alike (``tracemalloc`` is not used: it only sees
allocations made through Python's allocator hooks, i.e. NumPy's but not PyTorch's). Once the data
is built and the model and optimizer exist, the peak counter is reset (``echo 5 >
/proc/self/clear_refs``, Linux) and the current RSS read ("before"); after the warm-up and timed
epochs the peak (``VmHWM`` in ``/proc/self/status``) is read ("peak"). "training" = peak - before:
what training added on top of the interpreter, the libraries, the 63 MB dataset and the weights.
Where the peak cannot be reset (not Linux), ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (the
process's whole-life peak) is used for both and "training" is a lower bound. Each run also prints
the load average: other processes on the machine slow multi-threaded BLAS down badly, so compare
numbers from one run only.

``--profile`` runs one gradkit epoch under cProfile and sums the time into GEMMs
(``matmul``/``dot``), the optimizer step, the loss, the rest of forward/backward, and loop
overhead (data loading and everything else), then prints the top functions.

Run:
    PYTHONPATH=src python3 benchmarks/mlp_vs_torch.py [--epochs 3] [--rounds 2] [--profile]

Measured (2 cores, AVX2, OpenBLAS, torch 2.13 CPU, scikit-learn 1.9.1, quiet machine, 2 threads):
gradkit 56.6k samples/s (0.353 s/epoch), torch 56.6k, sklearn 31.2k: gradkit/torch 1.00x, gradkit/sklearn
1.81x; with fit(metrics=["accuracy"]) gradkit 56.3k. Peak memory added by training: gradkit 23 MB,
torch 20 MB, sklearn 13 MB. One thread each: gradkit 40.2k, torch 37.1k, sklearn 25.0k. cProfile of a
gradkit epoch: GEMMs 40% (~143 GFLOP/s, near this machine's peak), the optimizer 26% (copying
gradients into its flat buffer about half of it), Python overhead of ops, autograd and the loop ~30%.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from _common import run_worker  # benchmarks/ is on sys.path when a script runs

N, D, H, C, B, LR = 20_000, 784, 256, 10, 128, 1e-3
TARGET_TORCH, TARGET_SKLEARN = 1.3, 3.0
FRAMEWORKS = ("gradkit", "torch", "sklearn")


def make_data():
    """20k float32 standard-normal inputs and int64 labels in [0, 10) (a local seeded generator)."""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D), dtype=np.float32)
    y = rng.integers(0, C, size=N).astype(np.int64)
    return X, y


def _maxrss_mb() -> float:
    import resource

    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 2**20  # KiB on Linux, bytes on macOS


def _proc_status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter of this process (Linux >= 4.0); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------- one epoch per framework
def gradkit_epoch_fn(X, y, metrics):
    import gradkit as gk

    gk.manual_seed(0)
    model = gk.models.MLP([D, H, H, C], activation="relu")
    opt = gk.optim.Adam(model.parameters(), lr=LR)
    mets = [metrics] if metrics else None

    def epoch():
        gk.train.fit(model, "cross_entropy", opt, (X, y), epochs=1, batch_size=B, metrics=mets, verbose=0)

    return epoch


def torch_epoch_fn(X, y, threads):
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.ReLU(), torch.nn.Linear(H, H), torch.nn.ReLU(),
                                torch.nn.Linear(H, C))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def epoch():
        model.train()
        perm = torch.randperm(N)
        total = 0.0
        for i in range(0, N, B):
            idx = perm[i:i + B]
            xb, yb = Xt[idx], yt[idx]
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        return total / N

    return epoch


def sklearn_epoch_fn(X, y):
    import warnings

    import numpy as np
    from sklearn.neural_network import MLPClassifier

    warnings.simplefilter("ignore")  # ConvergenceWarning for max_iter-style single epochs
    clf = MLPClassifier(hidden_layer_sizes=(H, H), activation="relu", solver="adam", batch_size=B,
                        learning_rate_init=LR, alpha=0.0, shuffle=True, random_state=0)
    classes = np.arange(C)

    def epoch():
        clf.partial_fit(X, y, classes=classes)

    return epoch


def worker(framework: str, epochs: int, threads: int, metrics: str | None) -> dict:
    X, y = make_data()
    if framework == "gradkit":
        import gradkit as gk

        gk.parallel.tune_allocator()  # the worker owns its process, as `gradkit train` does
        fn = gradkit_epoch_fn(X, y, metrics)
    elif framework == "torch":
        fn = torch_epoch_fn(X, y, threads)
    else:
        fn = sklearn_epoch_fn(X, y)
    exact = _reset_peak_rss() and _proc_status_mb("VmHWM") is not None
    before = _proc_status_mb("VmRSS") if exact else _maxrss_mb()
    fn()  # warm-up epoch (caches, allocator pools, sklearn's weight init)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    peak = _proc_status_mb("VmHWM") if exact else _maxrss_mb()
    return {"framework": framework, "best_s": min(times), "times": times, "rss_before_mb": before,
            "rss_peak_mb": peak, "peak_method": "VmHWM after reset" if exact else "ru_maxrss"}


def _run_child(framework, epochs, threads, metrics) -> dict:
    args = ["--worker", framework, "--epochs", epochs, "--threads", threads] + (["--metrics", metrics] if metrics else [])
    return run_worker(__file__, args, threads, framework)


# ---------------------------------------------------------------------------- profile
def profile_gradkit(metrics: str | None, top: int = 25) -> None:
    """cProfile one gradkit epoch and print where the time goes."""
    import cProfile
    import pstats

    X, y = make_data()
    fn = gradkit_epoch_fn(X, y, metrics)
    fn()  # warm-up
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    fn()
    prof.disable()
    wall = time.perf_counter() - t0
    st = pstats.Stats(prof)
    # own time (tottime) of every function, bucketed by where it lives
    buckets = {"GEMMs (ops/linalg.py Linear/MatMul forward, fwd+bwd)": 0.0, "optimizer (optim/, its thread pool)": 0.0,
               "loss (cross-entropy forward/backward)": 0.0, "other ops (relu, sum_to, transpose...)": 0.0,
               "autograd engine + Tensor bookkeeping": 0.0, "data (loader, batches, input check)": 0.0,
               "fit loop, modules, the rest": 0.0}
    for (fname, _line, func), (_cc, _nc, tt, _ct, _callers) in st.stats.items():
        f = fname.replace("\\", "/")
        if f.endswith("ops/linalg.py") and func == "forward":
            k = "GEMMs (ops/linalg.py Linear/MatMul forward, fwd+bwd)"
        elif "/optim/" in f or "acquire" in func or "SimpleQueue" in func or "concurrent/futures" in f \
                or f.endswith("threading.py"):
            k = "optimizer (optim/, its thread pool)"
        elif ("nn/functional.py" in f or "/nn/loss" in f) and ("cross" in func or func in ("forward", "backward")):
            k = "loss (cross-entropy forward/backward)"
        elif "/ops/" in f:
            k = "other ops (relu, sum_to, transpose...)"
        elif "/autograd/" in f or f.endswith("gradkit/tensor.py"):
            k = "autograd engine + Tensor bookkeeping"
        elif "/data/" in f:
            k = "data (loader, batches, input check)"
        else:
            k = "fit loop, modules, the rest"
        buckets[k] += tt
    total = sum(buckets.values())
    print(f"\ncProfile of one gradkit epoch: {wall:.3f}s wall under the profiler, {total:.3f}s own time")
    for k, v in buckets.items():
        print(f"  {k:<56}{v:8.3f}s {100 * v / total:5.1f}%")
    print(f"\ntop {top} functions by own time:")
    st.sort_stats("tottime").print_stats(top)


# ---------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs per subprocess after the warm-up (best counts)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds of the three subprocesses")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--metrics", choices=["accuracy"], help="give gradkit's fit this metric (default: none)")
    ap.add_argument("--only", choices=FRAMEWORKS, action="append", help="run only these frameworks")
    ap.add_argument("--profile", action="store_true", help="also cProfile one gradkit epoch")
    ap.add_argument("--json", help="write the numbers to this JSON file")
    ap.add_argument("--worker", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.epochs, args.threads, args.metrics)))
        return

    frameworks = args.only or list(FRAMEWORKS)
    import numpy as np

    try:
        import torch
        tv = torch.__version__
    except ImportError:
        tv = "missing"
    try:
        import sklearn
        sv = sklearn.__version__
    except ImportError:
        sv = "missing"
    print(f"MLP {D}-{H}-{H}-{C}, Adam lr {LR}, batch {B}, float32, {N} samples; threads={args.threads}; "
          f"warm-up + best of {args.epochs} epochs, best of {args.rounds} alternating rounds")
    print(f"numpy {np.__version__}, torch {tv}, scikit-learn {sv}; gradkit fit metrics: {args.metrics or 'none'}")
    load0 = os.getloadavg() if hasattr(os, "getloadavg") else None
    best: dict[str, dict] = {}
    for _ in range(args.rounds):
        for fw in frameworks:
            r = _run_child(fw, args.epochs, args.threads, args.metrics)
            if fw not in best or r["best_s"] < best[fw]["best_s"]:
                best[fw] = r
    print(f"\n{'framework':<10}{'epoch s':>10}{'samples/s':>12}{'RSS before MB':>15}{'RSS peak MB':>13}"
          f"{'training MB':>13}")
    for fw, r in best.items():
        r["samples_per_s"] = N / r["best_s"]
        r["training_mb"] = r["rss_peak_mb"] - r["rss_before_mb"]
        print(f"{fw:<10}{r['best_s']:>10.3f}{r['samples_per_s']:>12.0f}{r['rss_before_mb']:>15.1f}"
              f"{r['rss_peak_mb']:>13.1f}{r['training_mb']:>13.1f}")
    if load0 is not None:
        print(f"load average (1 min) at start {load0[0]:.2f}, at end {os.getloadavg()[0]:.2f} "
              f"on {os.cpu_count()} cores (a busy machine slows multi-threaded BLAS)")
    ratios = {}
    if "gradkit" in best:
        for other, target in (("torch", TARGET_TORCH), ("sklearn", TARGET_SKLEARN)):
            if other in best:
                ratio = best["gradkit"]["samples_per_s"] / best[other]["samples_per_s"]
                ratios[other] = ratio
                print(f"gradkit / {other}: {ratio:.2f}x (target >= {target}x: "
                      f"{'met' if ratio >= target else 'NOT met'})")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"results": best, "ratios": ratios, "threads": args.threads, "metrics": args.metrics}, f,
                      indent=2)
    if args.profile:
        profile_gradkit(args.metrics)


if __name__ == "__main__":
    main()
