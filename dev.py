#!/usr/bin/env python3
"""Set up a local virtual environment and run gradkit's main job or its tests.

Needs only Python 3.10+ on a fresh machine:

    python3 dev.py train     # install gradkit into .venv, then run `gradkit train`
    python3 dev.py test      # install gradkit with its test extras, then run the whole suite
    python3 dev.py surface   # regenerate docs/torch_surface.md (the PyTorch surface gradkit supports)

Extra arguments after the command are passed on (to `gradkit train` or to pytest).
The environment is re-installed only when pyproject.toml changes.

With GRADKIT_TORCH_CHECKS=1 (CI sets it), `test` also installs PyTorch 2.13 (CPU) so the
optional reference checks against PyTorch run; if it cannot be installed they are skipped.
PyTorch is never a dependency of gradkit itself.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
EXTRAS = {"train": "datasets,plots", "test": "test", "surface": "test"}


def _python() -> Path:
    sub = "Scripts" if os.name == "nt" else "bin"
    return VENV / sub / ("python.exe" if os.name == "nt" else "python")


def _ensure_env(extras: str) -> Path:
    py = _python()
    if not py.exists():
        print(f"dev.py: creating a virtual environment in {VENV.name}/", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".gradkit-installed-{extras.replace(',', '-')}"
    if not stamp.exists() or stamp.read_text() != digest:
        print(f"dev.py: installing gradkit[{extras}] into {VENV.name}/", flush=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "-e", f"{ROOT}[{extras}]"], check=True)
        stamp.write_text(digest)
    return py


def _ensure_torch(py: Path) -> None:
    """Best effort: PyTorch for the optional reference checks (tests skip without it)."""
    have = subprocess.run([str(py), "-c", "import torch"], capture_output=True).returncode == 0
    if have:
        return
    print("dev.py: installing torch==2.13.0 (CPU) for the reference checks", flush=True)
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "torch==2.13.0"])
    if r.returncode != 0:
        print("dev.py: could not install torch; the reference checks against PyTorch will be skipped", flush=True)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in EXTRAS:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    py = _ensure_env(EXTRAS[command])
    if command == "test" and os.environ.get("GRADKIT_TORCH_CHECKS") == "1":
        _ensure_torch(py)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if command == "surface":  # with torch installed, the torch names are refreshed from it too
        return subprocess.run([str(py), str(ROOT / "tools" / "torch_surface.py"), *rest], cwd=ROOT, env=env).returncode
    if command == "train":
        return subprocess.run([str(py), "-m", "gradkit", "train", *rest], cwd=ROOT, env=env).returncode
    args = [str(py), "-m", "pytest", "-q"]
    if os.environ.get("CI"):
        # slow tests too, and line coverage with a per-package gate (see conftest.py)
        args += ["--runslow", "--cov=gradkit", "--cov-report="]
    code = subprocess.run([*args, *rest], cwd=ROOT, env=env).returncode
    if code == 5:
        print("dev.py: pytest collected no tests; that is a failure, not a pass.", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
