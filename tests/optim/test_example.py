"""The trajectories example runs and writes its PNG."""

import importlib.util
import os

import pytest


def test_optimizer_trajectories_example(tmp_path):
    pytest.importorskip("matplotlib")
    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "optimizer_trajectories.py")
    spec = importlib.util.spec_from_file_location("optimizer_trajectories", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.main(["--out", str(tmp_path), "--steps", "8"])
    assert os.path.getsize(out) > 10_000
    # GD on the elongated quadratic oscillates: the y coordinate changes sign along the path
    import numpy as np

    path_gd = mod.trajectory(mod.elongated_quadratic, [-9.0, 1.5], mod.OPTIMIZERS["GD"], 0.9, 10)
    assert np.all(np.diff(np.sign(path_gd[:, 1])) != 0)
