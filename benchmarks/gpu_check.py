"""One command for a lent GPU: gradkit's device tests, two trainings and throughput beside PyTorch.

Run from the repository root (needs gradkit's tree, CuPy and PyTorch; under 8 minutes on one GPU):

    python benchmarks/gpu_check.py

Parts (``--parts tests,train,bench``, all by default):

1. **tests**: the device suite (``tests/device``, every test marked ``gpu``) and the whole layer
   contract (every test calling ``check_layer``, with ``--contract-device cuda``) on real CuPy;
   prints pass/fail counts.
2. **train**: the main job's CNN (``DigitsCNN`` on scikit-learn's digits) and the MNIST-1D GRU
   (when ``mnist1d`` is installed) trained on the device and, with the same seed, on the CPU;
   prints both test accuracies (they agree within noise).
3. **bench**: training throughput of the MLP 784-256-256-10 (batch 128, 4096), the small CNN
   (batch 64, 1024) and the LSTM (hidden 128, 40 steps, batch 64, 1024), gradkit and PyTorch eager
   each in its own process on the same device; prints the ratio gradkit / PyTorch and gradkit's
   share of the device's measured float32 matmul peak.

Without a GPU it says so in one line and exits 2. ``--device cpu`` runs every part on the CPU
(the device tests then use the strict device double of ``tests/device``), and ``--dry-run`` is
``--device cpu`` with tiny sizes and short timings: how the script's own logic is tested.
Exit status: 0 when every part passed, 1 when a test failed or an accuracy differs, 2 without a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT / "src"), str(HERE)]

BENCH_CASES = [("mlp", 128), ("mlp", 4096), ("cnn", 64), ("cnn", 1024), ("lstm", 64), ("lstm", 1024)]
DRY_BENCH_CASES = [("mlp", 16), ("cnn", 4), ("lstm", 4)]


def gpu_status():
    """``(True, 'NVIDIA H200 (CuPy 14.0, CUDA 13000)')`` or ``(False, why not)``."""
    try:
        import cupy
    except Exception as exc:  # noqa: BLE001 - ImportError, or a CuPy that cannot load its CUDA libraries
        return False, f"CuPy is not importable ({type(exc).__name__}: {exc})".splitlines()[0]
    try:
        n = cupy.cuda.runtime.getDeviceCount()
        if n < 1:
            return False, "CuPy sees no CUDA device"
        name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        name = name.decode() if isinstance(name, bytes) else str(name)
        return True, f"{name} (CuPy {cupy.__version__}, CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()})"
    except Exception as exc:  # noqa: BLE001 - no driver, no device
        return False, f"no usable CUDA device ({type(exc).__name__}: {exc})".splitlines()[0]


# ----------------------------------------------------------------------------- part 1: tests
def _start_pytest(args, env_extra):
    """Start pytest in a child (output to a temporary file); returns ``(process, file, start time)``."""
    import tempfile

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]), **env_extra)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header", *args]
    out = tempfile.TemporaryFile(mode="w+")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True), out, time.perf_counter()


def _pytest_counts(text: str, code) -> dict:
    """Counts from pytest's summary line, or, when it was stopped early, from its progress dots."""
    counts = {k: 0 for k in ("passed", "failed", "errors", "skipped")}
    lines = text.strip().splitlines()
    found = re.findall(r"(\d+) (passed|failed|errors?|skipped)", lines[-1]) if lines else []
    for n, word in found:
        counts["errors" if word.startswith("error") else word] += int(n)
    if not found:  # timed out: read the progress characters (. passed, F failed, E error, s skipped)
        for line in lines:
            if re.fullmatch(r"[.FEsx]+(\s+\[\s*\d+%\])?", line.strip()):
                prog = line.split("[")[0]
                for ch, key in ((".", "passed"), ("F", "failed"), ("E", "errors"), ("s", "skipped")):
                    counts[key] += prog.count(ch)
    counts["ok"] = code == 0
    return counts


def _finish_pytest(started, timeout) -> dict:
    proc, out, t0 = started
    try:
        code = proc.wait(timeout=max(1.0, timeout - (time.perf_counter() - t0)))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = None
    out.seek(0)
    text = out.read()
    out.close()
    counts = _pytest_counts(text, code)
    counts["seconds"] = round(time.perf_counter() - t0, 1)
    if code is None:
        counts["tail"] = f"(stopped after {timeout}s)"
    elif code != 0:
        counts["tail"] = "\n".join(text.splitlines()[-25:])
    return counts


def part_tests(opts) -> bool:
    """The device suite and the whole layer contract on the device (two processes at once); prints the counts."""
    env = {"GRADKIT_TEST_DEVICE": "strict" if opts.device == "cpu" else "cupy"}
    # the suite's own contract run is the second line here, so it is left out of the first
    suite = ["tests/device", "-m", "gpu", "--deselect", "tests/device/test_layers.py::test_every_layer_contract_on_the_device"]
    contract = ["tests", "--contract-device", "cuda"]
    if opts.dry_run:  # a few tests of each, for the script's own test
        suite += ["-k", "strict_backend"]
        contract = ["tests/nn/test_layers.py", "--contract-device", "cuda", "-k", "linear"]
    runs = [("device suite", _start_pytest(suite, env)), ("layer contract", _start_pytest(contract, env))]
    ok = True
    for label, started in runs:
        c = _finish_pytest(started, opts.tests_timeout)
        ok &= c["ok"]
        print(f"tests: {label}: {c['passed']} passed, {c['failed']} failed, {c['errors']} errors, "
              f"{c['skipped']} skipped in {c['seconds']}s{'' if c['ok'] else '  <- FAILED'}", flush=True)
        if not c["ok"]:
            print(c["tail"], flush=True)
    return ok


# ----------------------------------------------------------------------------- part 2: training
def _digits(dry: bool):
    import numpy as np

    from gradkit.data import datasets, train_dev_test_split

    X, y = datasets.load("digits", as_images=True)
    if dry:
        X, y = X[:200], y[:200]
    Xtr, ytr, _, _, Xte, yte = train_dev_test_split(X, y, sizes=(0.6, 0.2, 0.2), stratify=True, seed=0)
    mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-6
    return ((Xtr - mu) / sd).astype(np.float32), ytr, ((Xte - mu) / sd).astype(np.float32), yte


def _mnist1d(dry: bool):
    import numpy as np

    from gradkit.data import datasets

    X, y = datasets.load("mnist1d", num_samples=400 if dry else 5000)
    n = int(0.8 * len(X))
    mu, sd = X[:n].mean(), X[:n].std() + 1e-6
    return ((X[:n] - mu) / sd).astype(np.float32), y[:n], ((X[n:] - mu) / sd).astype(np.float32), y[n:]


def _train_once(make_model, data, device: str, epochs: int, lr: float) -> tuple:
    """Test accuracy and seconds of one seeded training run on ``device`` (the data moved there first)."""
    import gradkit as gk
    from gradkit.train import evaluate, fit

    Xtr, ytr, Xte, yte = data
    gk.manual_seed(0)
    model = make_model().to(device)
    tr = (gk.tensor(Xtr, device=device), gk.tensor(ytr, device=device))
    te = (gk.tensor(Xte, device=device), gk.tensor(yte, device=device))
    t0 = time.perf_counter()
    fit(model, "cross_entropy", "adam", tr, epochs=epochs, batch_size=64, lr=lr, verbose=0,
        generator=gk.Generator(0))
    secs = time.perf_counter() - t0
    return float(evaluate(model, "cross_entropy", te, metrics=["accuracy"])["accuracy"]), secs


def part_train(opts) -> bool:
    """Train the CNN and the GRU on the device and on the CPU; prints both accuracies."""
    import gradkit as gk

    dev = "cuda" if opts.device != "cpu" else "cpu"
    epochs = 1 if opts.dry_run else opts.epochs
    jobs = [("DigitsCNN (digits)", gk.models.DigitsCNN, _digits, 3e-3),
            ("MNIST1DGRU (MNIST-1D)", gk.models.MNIST1DGRU, _mnist1d, 1e-2)]
    ok = True
    for name, make, load, lr in jobs:
        try:
            data = load(opts.dry_run)
        except ImportError as exc:
            print(f"train: {name}: skipped ({exc})", flush=True)
            continue
        acc_dev, t_dev = _train_once(make, data, dev, epochs, lr)
        line = f"train: {name}: {dev} accuracy {acc_dev:.3f} ({epochs} epochs, {t_dev:.1f}s)"
        if dev != "cpu" and not opts.no_cpu_reference:
            acc_cpu, t_cpu = _train_once(make, data, "cpu", epochs, lr)
            same = abs(acc_dev - acc_cpu) <= opts.acc_tolerance
            ok &= same
            line += f"; cpu accuracy {acc_cpu:.3f} ({t_cpu:.1f}s){'' if same else '  <- DIFFERS'}"
        print(line, flush=True)
    return ok


# ----------------------------------------------------------------------------- part 3: throughput
def _worker(args, timeout):
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", *map(str, args)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(HERE)]))
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"worker {' '.join(map(str, args))} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def part_bench(opts) -> bool:
    """Each case in gradkit and PyTorch, each in its own process; ratios and share of the matmul peak."""
    from _gpu_workloads import train_flops

    dev = "cuda" if opts.device != "cpu" else "cpu"
    secs = 0.2 if opts.dry_run else opts.seconds
    peak = _worker(["peak", "-", 0 if opts.dry_run else 1, dev, secs], 300)["flops"]
    print(f"bench: {dev} float32 matmul peak {peak / 1e12:.2f} TFLOP/s (measured)", flush=True)
    cases = DRY_BENCH_CASES if opts.dry_run else BENCH_CASES
    ok = True
    for case, batch in cases:
        if time.perf_counter() > opts.deadline:
            print(f"bench: {case} batch {batch}: skipped (the {opts.budget:.0f}s budget is spent)", flush=True)
            continue
        try:
            g = _worker(["gradkit", case, batch, dev, secs], 300)["samples_per_s"]
            t = _worker(["torch", case, batch, dev, secs], 300)["samples_per_s"]
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            ok = False
            print(f"bench: {case} batch {batch}: failed: {str(exc).splitlines()[0]}", flush=True)
            continue
        share = g * train_flops(case) / peak
        print(f"bench: {case:4s} batch {batch:5d}: gradkit {g:12,.0f} samples/s, torch {t:12,.0f} samples/s, "
              f"ratio {g / t:5.2f}, gradkit at {100 * share:5.1f} % of the matmul peak", flush=True)
    return ok


def _run_worker_main(argv) -> int:
    """``--worker FRAMEWORK CASE BATCH DEVICE SECONDS`` (or ``--worker peak - SIZE DEVICE SECONDS``)."""
    import _gpu_workloads as W

    framework, case, batch, device, seconds = argv
    if framework == "peak":
        n = 8192 if int(batch) else 512
        print(json.dumps({"flops": W.matmul_peak(device, n, float(seconds))}))
    else:
        W.worker(framework, case, int(batch), device, float(seconds))
    return 0


# ----------------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda",
                   help="cpu: run every part on the CPU (the device tests on the strict double)")
    p.add_argument("--dry-run", action="store_true", help="--device cpu with tiny sizes: checks the script itself")
    p.add_argument("--parts", default="tests,train,bench", help="comma-separated: tests, train, bench")
    p.add_argument("--epochs", type=int, default=15, help="training epochs of part 2 (default 15)")
    p.add_argument("--seconds", type=float, default=1.5, help="timing per throughput measurement (default 1.5)")
    p.add_argument("--tests-timeout", type=int, default=180,
                   help="limit for the two pytest runs, which run at once, in seconds (default 180)")
    p.add_argument("--budget", type=float, default=450,
                   help="seconds for the whole check; throughput cases left when it is spent are skipped (default 450)")
    p.add_argument("--acc-tolerance", type=float, default=0.03, help="device vs CPU accuracy tolerance")
    p.add_argument("--no-cpu-reference", action="store_true", help="part 2 without the CPU runs")
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["--worker"]:
        return _run_worker_main(argv[1:])
    opts = build_parser().parse_args(argv)
    if opts.dry_run:
        opts.device = "cpu"
    parts = [s.strip() for s in opts.parts.split(",") if s.strip()]
    unknown = set(parts) - {"tests", "train", "bench"}
    if unknown:
        print(f"gpu_check: unknown part(s) {', '.join(sorted(unknown))}; expected tests, train, bench")
        return 2
    if opts.device == "cuda":
        ok, what = gpu_status()
        if not ok:
            print(f"gpu_check: no GPU: {what}; nothing to check (use --device cpu or --dry-run to run on the CPU)")
            return 2
        print(f"gpu_check: {what}", flush=True)
    t0 = time.perf_counter()
    opts.deadline = t0 + opts.budget
    runners = {"tests": part_tests, "train": part_train, "bench": part_bench}
    results = {name: runners[name](opts) for name in parts}
    verdict = "all passed" if all(results.values()) else "FAILED: " + ", ".join(k for k, v in results.items() if not v)
    print(f"gpu_check: {verdict} in {time.perf_counter() - t0:.0f}s")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
