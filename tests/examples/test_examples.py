"""Smoke tests: each example script runs with ``--quick``, prints its numbers and writes its picture."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")

# script -> (picture it must write, regexes its output must contain)
CASES = {
    "init_comparison.py": ("init_comparison.png",
                           [r"zeros: loss\s+0\.6931 -> 0\.6931", r"large: loss\s+\d+\.\d+", r"he: loss .* dev acc 0\.\d{3}"]),
    "regularization_comparison.py": ("regularization_comparison.png",
                                     [r"none: train acc \d\.\d{3}\s+dev acc \d\.\d{3}", r"L2 \(lambda=2\): train acc",
                                      r"dropout \(p=0\.5\): train acc"]),
    "optimizer_comparison.py": ("optimizer_comparison.png",
                                [r"SGD \(lr=0\.01\): loss \d\.\d{4} -> \d\.\d{4}", r"momentum", r"RMSprop", r"Adam"]),
    "batchnorm_comparison.py": ("batchnorm_comparison.png",
                                [r"with batch norm: loss", r"without batch norm: loss",
                                 r"without batch norm: at initialization .*health warnings: \['vanishing'\]",
                                 r"single-example predictions match batch predictions: True"]),
    "gradient_checking.py": ("gradient_checking.png",
                             [r"correct op: passed=True", r"buggy op: passed=False",
                              r"gradcheck_model names the failing layer\(s\): \['2'\]"]),
    "bias_variance_workflow.py": ("bias_variance_workflow.png",
                                  [r"verdict: high bias", r"verdict: high variance", r"after the recipe"]),
}


def run_example(name, out_dir):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, name), "--quick", "--out", str(out_dir)],
                          check=False, capture_output=True, text=True, env=env, timeout=240, cwd=str(out_dir))


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs_quick(name, tmp_path):
    if not os.path.exists(os.path.join(EXAMPLES, name)):
        pytest.fail(f"examples/{name} is missing")
    proc = run_example(name, tmp_path)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    picture, patterns = CASES[name]
    for pat in patterns:
        assert re.search(pat, proc.stdout), f"{name}: output lacks {pat!r}:\n{proc.stdout}"
    path = tmp_path / picture
    assert path.exists(), f"{name} did not write {picture}; wrote {os.listdir(tmp_path)}"
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n", f"{picture} is not a PNG"
    assert path.stat().st_size > 5000, f"{picture} is suspiciously small ({path.stat().st_size} bytes)"


def test_default_out_is_runs_examples(tmp_path):
    """Without --out, the picture goes to runs/examples under the working directory."""
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"), MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, "init_comparison.py"), "--quick"],
                          check=False, capture_output=True, text=True, env=env, timeout=240, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "runs" / "examples" / "init_comparison.png").exists()
