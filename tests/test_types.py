"""The public core type-checks (mypy, with the settings in pyproject.toml): the package ships py.typed,
so its annotations are a promise to users' type checkers (slow: CI runs it)."""

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHECKED = [
    "gradkit/__init__.py", "gradkit/tensor.py", "gradkit/_methods", "gradkit/creation.py", "gradkit/autograd",
    "gradkit/nn/module.py", "gradkit/onnx", "gradkit/dtypes.py", "gradkit/errors.py", "gradkit/backend.py",
    "gradkit/linalg.py",
]


def test_the_package_is_marked_typed():
    assert (ROOT / "src" / "gradkit" / "py.typed").is_file()


@pytest.mark.slow
def test_public_core_passes_mypy(tmp_path):
    pytest.importorskip("mypy")
    out = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                          "--cache-dir", str(tmp_path / "cache"), *CHECKED], cwd=ROOT / "src",
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
