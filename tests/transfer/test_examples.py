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
def test_transfer_example_fine_tunes_the_pretrained_body_to_a_good_accuracy():
    # Over 12 paired few-shot draws the gain of fine-tuning over training from scratch is small on
    # these easy 8x8 digits (+0.007 +- 0.009 in quick mode, seeds 0 and 1), so the test checks what
    # holds for every draw set: the body pretrains well, fine-tuning reaches a good accuracy, and it
    # is not worse than starting from scratch by more than the draw-to-draw noise.
    import numpy as np

    res = _load("transfer_digits").run(shots=2, quick=True, seed=0, repeats=8, verbose=False)
    assert res["source_accuracy"] > 0.9
    assert res["finetune"] > 0.7, res
    diff = np.array(res["finetune_runs"]) - np.array(res["scratch_runs"])
    assert diff.mean() > -2 * diff.std(ddof=1) / np.sqrt(len(diff)), res


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
