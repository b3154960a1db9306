"""The package as a user gets it: build the wheel and sdist, install the wheel into a fresh venv with
only its own dependencies, and run the main job (slow: CI runs it; needs the package index)."""

import os
import pathlib
import subprocess
import sys
import venv
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_runs_the_main_job(tmp_path):
    pytest.importorskip("build")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--sdist", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True, timeout=900)
    wheels, sdists = list(dist.glob("gradkit-*.whl")), list(dist.glob("gradkit-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "gradkit/py.typed" in names and "gradkit/data/_embedded/digits.npz" in names
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheels[0])], check=True, timeout=900)
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    out = subprocess.run([str(py), "-m", "gradkit", "train", "--epochs", "1", "--quiet", "--out",
                          str(tmp_path / "run")], capture_output=True, text=True, cwd=tmp_path, env=clean_env,
                         timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (tmp_path / "run" / "model.safetensors").is_file()
    assert (tmp_path / "run" / "learning_curves.png").is_file()
    version = subprocess.run([str(py), "-m", "gradkit", "--version"], capture_output=True, text=True,
                             env=clean_env, cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.strip().endswith("0.1.0")
