"""gradkit diagnose / gradkit gradcheck on a model trained and saved by gradkit train."""

import json

import pytest

from gradkit.cli import main


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--model", "mlp", "--epochs", "2", "--out", str(out), "--quiet"]) == 0
    return out / "model.safetensors"


def test_diagnose(saved_model, capsys):
    assert main(["diagnose", str(saved_model), "--data", "digits", "--base-error", "5"]) == 0
    out = capsys.readouterr().out
    assert "bias/variance:" in out and "base error 5.00%" in out and "read as a percentage" in out
    assert any(v in out for v in ("high bias", "high variance", "good fit"))
    assert "training health" in out and "0 (Linear)" in out and "1 (ReLU)" in out


def test_diagnose_json(saved_model, capsys):
    assert main(["diagnose", str(saved_model), "--json", "--batch-size", "32"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["bias_variance"]["verdict"] in ("high bias", "high variance", "high bias and high variance", "good fit")
    tr = 1 - d["evaluation"]["train"]["accuracy"]
    assert d["bias_variance"]["train_error"] == pytest.approx(tr)
    assert {r["name"] for r in d["health"]["layers"]} >= {"0", "1", "3"}


def test_gradcheck(saved_model, capsys):
    assert main(["gradcheck", str(saved_model), "--data", "digits", "--samples", "3", "--max-elements", "8"]) == 0
    out = capsys.readouterr().out
    assert "passed" in out and "dropout switched off" in out and "0.weight" in out


def test_errors(saved_model, tmp_path, capsys):
    assert main(["diagnose", str(tmp_path / "missing.safetensors")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["diagnose", str(saved_model), "--base-error", "150"]) == 2
    assert "--base-error" in capsys.readouterr().err
    assert main(["gradcheck", str(saved_model), "--samples", "0"]) == 2
