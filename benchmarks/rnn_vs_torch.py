"""Training throughput of recurrent networks: gradkit vs PyTorch on the CPU, side by side in one run.

Cases (the same model, data and optimizer in both frameworks, each initialized by its own seeded
generator; forward + backward + Adam step per batch):

* ``lstm``: LSTM(input 32, hidden 128, 1 layer), sequence 40, batch 64, loss = mean square of
  the outputs against random targets.
* ``mnist1d_gru``: the MNIST-1D GRU (bidirectional GRU(1, 6), 40 steps, all outputs flattened
  into Linear(480, 10)), batch 64, cross-entropy on random labels.

Each framework is timed in its own child process (NumPy's OpenBLAS threads and PyTorch's
OpenMP threads spin-wait, so sharing a process would slow both), with the same thread count,
in alternating rounds so that machine noise hits both alike. Prints samples/s and the ratio
gradkit / PyTorch (the target is >= 1.0).

Run:
    PYTHONPATH=src python3 benchmarks/rnn_vs_torch.py [--seconds 2] [--rounds 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from _common import run_worker  # benchmarks/ is on sys.path when a script runs

B, T = 64, 40


def _data(case, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    if case == "lstm":
        return rng.standard_normal((T, B, 32)).astype(np.float32), rng.standard_normal((T, B, 128)).astype(np.float32)
    return rng.standard_normal((B, T)).astype(np.float32), rng.integers(0, 10, size=B)


def gradkit_step_fn(case):
    import numpy as np

    import gradkit as gk

    gk.manual_seed(0)
    x, y = _data(case)
    if case == "lstm":
        model = gk.nn.LSTM(32, 128)
        xt, yt = gk.tensor(x), gk.tensor(y)

        def loss_fn():
            out, _ = model(xt)
            d = out - yt
            return (d * d).mean()
    else:
        model = gk.models.MNIST1DGRU()
        xt = gk.tensor(x)
        onehot = gk.tensor(np.eye(10, dtype=np.float32)[y])

        def loss_fn():
            logits = model(xt)
            logp = logits - logits.logsumexp(-1, keepdim=True)
            return -(logp * onehot).sum() / B

    opt = gk.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()

    return step


def torch_step_fn(case):
    import torch

    torch.manual_seed(0)
    x, y = _data(case)
    if case == "lstm":
        model = torch.nn.LSTM(32, 128)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)

        def loss_fn():
            out, _ = model(xt)
            return ((out - yt) ** 2).mean()
    else:
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = torch.nn.GRU(1, 6, batch_first=True, bidirectional=True)
                self.fc = torch.nn.Linear(480, 10)

            def forward(self, x):
                out, _ = self.rnn(x.unsqueeze(-1))
                return self.fc(out.flatten(1))

        model = Net()
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)

        def loss_fn():
            return torch.nn.functional.cross_entropy(model(xt), yt)

    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()

    return step


def worker(framework, case, seconds):
    """Child process: warm up, then run steps for ``seconds`` and print samples/s as JSON."""
    if framework == "torch":
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
        step = torch_step_fn(case)
    else:
        import gradkit as gk

        gk.parallel.tune_allocator()  # the worker owns its process, as `gradkit train` does
        step = gradkit_step_fn(case)
    for _ in range(3):
        step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    dt = time.perf_counter() - t0
    print(json.dumps({"samples_per_s": n * B / dt, "ms_per_step": 1e3 * dt / n}))


def _run_child(framework, case, seconds, threads):
    return run_worker(__file__, ["--worker", framework, "--case", case, "--seconds", seconds], threads, framework)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="timed seconds per round and framework")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (best round is reported)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--case", choices=["lstm", "mnist1d_gru", "all"], default="all")
    ap.add_argument("--worker", choices=["gradkit", "torch"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.case, args.seconds)
        return
    cases = ["lstm", "mnist1d_gru"] if args.case == "all" else [args.case]
    print(f"threads={args.threads}, batch={B}, seq={T}, {args.rounds} alternating rounds of {args.seconds}s, best round")
    print(f"{'case':<14}{'gradkit samples/s':>20}{'torch samples/s':>18}{'ratio':>8}")
    for case in cases:
        best = {"gradkit": 0.0, "torch": 0.0}
        for _ in range(args.rounds):
            for fw in ("gradkit", "torch"):
                r = _run_child(fw, case, args.seconds, args.threads)
                best[fw] = max(best[fw], r["samples_per_s"])
        ratio = best["gradkit"] / best["torch"]
        print(f"{case:<14}{best['gradkit']:>20.0f}{best['torch']:>18.0f}{ratio:>7.2f}x")


if __name__ == "__main__":
    main()
