"""benchmarks/gpu_check.py: one line and exit 2 without a GPU; every part runs on the CPU (--dry-run)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "gpu_check.py"


def _run(args, tmp_path, no_cupy=True, timeout=600):
    env = dict(os.environ)
    paths = [str(ROOT / "src")]
    if no_cupy:  # a cupy that cannot be imported, even on a machine that has CuPy and a GPU
        fake = tmp_path / "fake"
        (fake / "cupy").mkdir(parents=True)
        (fake / "cupy" / "__init__.py").write_text("raise ImportError('libcudart.so: cannot open shared object file')\n")
        paths.insert(0, str(fake))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_without_a_gpu_it_says_so_in_one_line_and_exits_2(tmp_path):
    r = _run([], tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1 and "no GPU" in lines[0] and "CuPy is not importable" in lines[0]


def test_an_unknown_part_is_refused(tmp_path):
    r = _run(["--device", "cpu", "--parts", "tests,warp"], tmp_path)
    assert r.returncode == 2 and "unknown part(s) warp" in r.stdout


def test_gpu_status_reports_a_cupy_without_devices(monkeypatch):
    import types

    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import gpu_check
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    runtime = types.SimpleNamespace(getDeviceCount=lambda: 0)
    monkeypatch.setitem(sys.modules, "cupy", types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime)))
    assert gpu_check.gpu_status() == (False, "CuPy sees no CUDA device")


def test_train_flops_per_sample():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from _gpu_workloads import train_flops
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert train_flops("mlp") == 6 * (784 * 256 + 256 * 256 + 2560)
    with pytest.raises(ValueError, match="unknown case"):
        train_flops("gan")


@pytest.mark.slow
def test_dry_run_runs_every_part_on_the_cpu(tmp_path):
    pytest.importorskip("torch")
    r = _run(["--dry-run"], tmp_path, timeout=900)
    out = r.stdout
    assert r.returncode == 0, out + r.stderr[-3000:]
    assert "tests: device suite:" in out and "tests: layer contract:" in out and " 0 failed" in out
    assert "train: DigitsCNN (digits): cpu accuracy" in out
    for case in ("mlp", "cnn", "lstm"):
        assert f"bench: {case}" in out and "ratio" in out
    assert out.strip().splitlines()[-1].startswith("gpu_check: all passed")


def test_pytest_counts_from_the_summary_or_from_the_progress_of_a_stopped_run():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import gpu_check
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    done = gpu_check._pytest_counts("....\n3 passed, 1 failed, 2 skipped in 3.1s", 1)
    assert (done["passed"], done["failed"], done["skipped"], done["ok"]) == (3, 1, 2, False)
    stopped = gpu_check._pytest_counts("...F.s  [ 50%]\n..E\n", None)
    assert (stopped["passed"], stopped["failed"], stopped["errors"], stopped["skipped"]) == (6, 1, 1, 1)


def test_a_spent_budget_skips_the_remaining_throughput_cases(tmp_path):
    r = _run(["--dry-run", "--parts", "bench", "--budget", "0"], tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "matmul peak" in r.stdout and r.stdout.count("skipped (the 0s budget is spent)") == 3
