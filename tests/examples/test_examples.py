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
    "optimizer_trajectories.py": ("optimizer_trajectories.png",
                                  [r"Elongated quadratic, Momentum \(course, beta=0\.9\), lr=0\.3: f = ",
                                   r"Elongated quadratic, SGD\(momentum=0\.9\) \(PyTorch's\), lr=0\.03: f = ",
                                   r"Rosenbrock, Adam"]),
    "rnn_vanishing_gradients.py": ("rnn_vanishing_gradients.png",
                                   [r"RNN \(tanh\): gradient at t=1 is", r"LSTM accuracy \d\.\d\d"]),
    "transfer_digits.py": ("transfer_digits.png", [r"fine-tuned from 0-4 : test accuracy", r"from scratch"]),
    "multitask_synthetic.py": ("multitask_synthetic.png", [r"hard\s+: test RMSE"]),
    "graph_and_grad_flow.py": ("graph_and_grad_flow.png",
                               [r"He, ReLU:\n  0\.weight  mean \|grad\| \d\.\d{3}e-\d\d .* ok",
                                r"tiny, sigmoid, 6 layers:\n  0\.weight .* vanishing",
                                r"saved .*graph_and_grad_flow_graph\.svg"]),
    "torch_weight_roundtrip.py": ("torch_weight_roundtrip.png", [r"gradkit -> torch: max \|weight difference\|"]),
    "transformer_sequence.py": ("transformer_sequence.png",
                                [r"held-out accuracy: \d+\.\d % of tokens, \d+\.\d % of whole sequences"]),
}
README_SCRIPTS = re.compile(r"^\| `examples/(\w+\.py)` \|", re.M)


def run_example(name, out_dir):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, name), "--quick", "--out", str(out_dir)],
                          check=False, capture_output=True, text=True, env=env, timeout=240, cwd=str(out_dir))


def test_every_example_the_readme_lists_is_run_quick_here():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        listed = set(README_SCRIPTS.findall(f.read()))
    assert len(listed) >= 10, f"README's examples table not found (got {sorted(listed)})"
    assert listed == set(CASES), f"README lists {sorted(listed - set(CASES))} untested; tested but unlisted: " \
                                 f"{sorted(set(CASES) - listed)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_runs_quick(name, tmp_path):
    if not os.path.exists(os.path.join(EXAMPLES, name)):
        pytest.fail(f"examples/{name} is missing")
    if name == "torch_weight_roundtrip.py":
        pytest.importorskip("torch")
    if name == "graph_and_grad_flow.py":
        pytest.importorskip("gradkit.viz")  # gk.viz.graph draws the computational graph
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


def test_regularization_quick_still_shows_overfitting(tmp_path):
    """--quick must show what the example is for: no regularization -> train clearly above dev; L2 and
    dropout shrink that gap (numbers in the script's docstring)."""
    proc = run_example("regularization_comparison.py", tmp_path)
    assert proc.returncode == 0, proc.stderr
    acc = {name.strip(): (float(tr), float(dv)) for name, tr, dv in
           re.findall(r"^\s*(.+?): train acc (\d\.\d+)\s+dev acc (\d\.\d+)", proc.stdout, re.M)}
    assert set(acc) == {"none", "L2 (lambda=2)", "dropout (p=0.5)"}, proc.stdout
    gap = {k: tr - dv for k, (tr, dv) in acc.items()}
    assert acc["none"][0] >= 0.95 and gap["none"] >= 0.10, f"no over-fitting to regularize: {acc}"
    assert gap["L2 (lambda=2)"] < gap["none"] - 0.05 and gap["dropout (p=0.5)"] < gap["none"] - 0.05, acc


def test_trajectories_course_momentum_equals_torch_momentum_at_scaled_lr():
    """The example's claim: gk.optim.Momentum(lr, beta) and SGD(lr * (1 - beta), momentum=beta) visit the
    same points; the course's iterates on w**2 from 1 are 0.98, 0.9424, 0.889712."""
    import importlib.util

    import numpy as np

    path = os.path.join(EXAMPLES, "optimizer_trajectories.py")
    spec = importlib.util.spec_from_file_location("optimizer_trajectories", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    course = mod.trajectory(mod.elongated_quadratic, [-9.0, 1.5], mod.OPTIMIZERS[mod.COURSE_MOMENTUM], 0.3, 20)
    torch_form = mod.trajectory(mod.elongated_quadratic, [-9.0, 1.5], mod.OPTIMIZERS[mod.TORCH_MOMENTUM], 0.03, 20)
    np.testing.assert_allclose(course, torch_form, rtol=1e-12, atol=1e-12)
    w = mod.trajectory(lambda x: (x ** 2).sum(), [1.0, 0.0], mod.OPTIMIZERS[mod.COURSE_MOMENTUM], 0.1, 3)[1:, 0]
    np.testing.assert_allclose(w, [0.98, 0.9424, 0.889712], rtol=1e-12)


def test_graph_and_grad_flow_numbers(tmp_path):
    """The example's claims: at He init the two layers' gradients are of one size; at the tiny sigmoid
    init the first layer's is far smaller, and on six layers the early ones are flagged as vanishing."""
    pytest.importorskip("gradkit.viz")
    proc = run_example("graph_and_grad_flow.py", tmp_path)
    assert proc.returncode == 0, proc.stderr
    ratios = [float(v) for v in re.findall(r"first/last layer mean \|grad\|: (\S+)", proc.stdout)]
    assert len(ratios) == 3 and ratios[0] > 0.1 and ratios[1] < 0.1 and ratios[2] < 1e-6, proc.stdout
    deep = proc.stdout.split("6 layers:")[1]
    assert "0.weight" in deep and re.search(r"0\.weight .* vanishing", deep)
    assert (tmp_path / "graph_and_grad_flow_graph.svg").stat().st_size > 0


@pytest.mark.slow
def test_transformer_example_reaches_its_stated_accuracy(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, "transformer_sequence.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=600, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tokens = float(re.search(r"held-out accuracy: (\d+\.\d) % of tokens", proc.stdout).group(1))
    assert tokens >= 95.0, proc.stdout
