"""Shared by the benchmark scripts: run one framework's timing worker in a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def run_worker(script: str, args: list, threads: int, label: str) -> dict:
    """Run ``python script *args`` with every thread-count variable set to ``threads`` and return
    the JSON object on the last line of its output; a failing worker raises with its stderr."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    out = subprocess.run([sys.executable, script, *map(str, args)], env=env, capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{label} worker failed (exit {out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
