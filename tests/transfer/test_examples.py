"""The transfer/multi-task examples' core functions, with quick settings."""

import importlib.util
import os
import sys

import pytest

_EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def _load(name):
    if _EXAMPLES not in sys.path:  # the examples import examples/_common.py, as `python examples/x.py` allows
        sys.path.insert(0, _EXAMPLES)
    spec = importlib.util.spec_from_file_location(name, os.path.join(_EXAMPLES, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
def test_transfer_beats_from_scratch_with_few_labels():
    res = _load("transfer_digits").run(shots=2, quick=True, seed=0, verbose=False)
    assert res["source_accuracy"] > 0.9
    assert res["finetune"] > res["scratch"] + 0.02, res


def test_multitask_example_runs_and_shares():
    mod = _load("multitask_synthetic")
    train, test = mod.make_data(40, seed=0)
    assert (train[1]["b"] != train[1]["b"]).any()  # some task-b labels are missing (NaN)
    model, _ = mod.build("hard", hidden=8, lam=0.1)
    sep, _ = mod.build("separate", hidden=8, lam=0.1)
    assert model.num_parameters() < sep.num_parameters()


def test_torch_roundtrip_example(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    res = _load("torch_weight_roundtrip").run(str(tmp_path), verbose=False)
    assert res["roundtrip_weight_diff"] == 0.0
    assert res["cnn_output_diff"] < 1e-5 and res["lstm_output_diff"] < 1e-5
    assert res["loaded_cnn"] == 7 + 2 and res["loaded_lstm"] == 4
