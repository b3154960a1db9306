"""Time one gradkit training step of a benchmark model from a given source tree (for A/B runs).

Runs the gradkit side of ``cnn_vs_torch.py`` (``cnn``) or ``rnn_vs_torch.py`` (``lstm``,
``mnist1d_gru``) from ``TREE/src`` and ``TREE/benchmarks``, and prints one JSON line with the
median and minimum milliseconds per step. Call it alternately on two checkouts (e.g. a base
commit in a second git worktree and the branch under test), each in its own process:

    python3 benchmarks/ab_step.py BASE_TREE lstm --seconds 2 --threads 2
    python3 benchmarks/ab_step.py NEW_TREE lstm --seconds 2 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tree", help="root of the checkout to time")
    p.add_argument("case", choices=["cnn", "lstm", "mnist1d_gru"])
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    for var in ("GRADKIT_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    tree = os.path.abspath(args.tree)
    sys.path[:0] = [os.path.join(tree, "src"), os.path.join(tree, "benchmarks")]
    if args.case == "cnn":
        import cnn_vs_torch as bench

        step, _ = bench.gradkit_step_fn(64)
    else:
        import rnn_vs_torch as bench

        one = bench.gradkit_step_fn(args.case)

        def step(i):
            one()

    import gradkit

    if not os.path.abspath(gradkit.__file__).startswith(tree):
        raise SystemExit(f"gradkit was imported from {gradkit.__file__}, not from {tree}")
    for i in range(5):
        step(i)
    times = []
    end = time.perf_counter() + args.seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        step(len(times))
        times.append(time.perf_counter() - t0)
    times.sort()
    print(json.dumps({"median_ms": 1e3 * times[len(times) // 2], "min_ms": 1e3 * times[0], "steps": len(times)}))


if __name__ == "__main__":
    main()
