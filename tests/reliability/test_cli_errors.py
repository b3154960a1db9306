"""Every user error on the command line is one line on stderr and exit status 2, never a traceback."""

import json
import os

import numpy as np
import pytest

import gradkit as gk
from gradkit.cli import main
from gradkit.io import _format


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    gk.manual_seed(0)
    net = gk.models.MLP([64, 8, 10])
    model = d / "model.safetensors"
    gk.save(net, model, metadata={"dataset": "digits", "preset": "mlp", "input_shape": [64], "num_classes": 10,
                                  "sizes": [0.6, 0.2, 0.2], "seed": 0})
    (d / "truncated.safetensors").write_bytes(model.read_bytes()[:-7])
    (d / "weights.safetensors").write_bytes(b"")
    gk.save({"w": gk.ones(2)}, d / "state.safetensors")
    (d / "torch.pt").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    spec = json.dumps({"class": "Linear", "config": {"in_features": 100000, "out_features": 100000}})
    payload = _format.encode({"weight": np.zeros((2, 2), np.float32), "bias": np.zeros(2, np.float32)},
                             {_format.KEY_KIND: "module", _format.KEY_ARCH: spec})
    (d / "huge.safetensors").write_bytes(bytes(payload))
    os.mkfifo(d / "fifo.safetensors")
    np.save(d / "good.npy", np.zeros((3, 64), np.float32))
    np.save(d / "pickled.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    bad = np.zeros((3, 64), np.float32)
    bad[1, 5] = np.nan
    np.save(d / "nan.npy", bad)
    np.save(d / "shape.npy", np.zeros((3, 5), np.float32))
    (d / "text.csv").write_text("a,b\nc,d\n")
    (d / "input.bin").write_bytes(b"x")
    (d / "afile").write_text("x")
    (d / "typo.toml").write_text("[train]\nlearning_rat = 0.1\n")
    (d / "types.toml").write_text('[train]\nepochs = "ten"\n')
    (d / "section.toml").write_text("[trian]\nepochs = 1\n")
    (d / "broken.toml").write_text("[train\n")
    (d / "tune_typo.toml").write_text("[search]\ntrails = 3\n")
    return d


def _cases(d):
    m = str(d / "model.safetensors")
    return [
        # train
        (["train", "--epochs", "0"], "--epochs must be"),
        (["train", "--epochs", "-3"], "--epochs must be"),
        (["train", "--epochs", "x"], "invalid int value"),
        (["train", "--batch-size", "0"], "--batch-size must be"),
        (["train", "--lr", "-1"], "--lr must be"),
        (["train", "--lr", "nan"], "--lr must be"),
        (["train", "--lr", "inf"], "--lr must be"),
        (["train", "--data", "nosuch"], "unknown dataset"),
        (["train", "--model", "nosuch"], "unknown model"),
        (["train", "--optimizer", "nosuch"], "unknown optimizer"),
        (["train", "--init", "bogus"], "unknown init"),
        (["train", "--recipe", str(d / "missing.toml")], "not found"),
        (["train", "--recipe", str(d / "typo.toml")], "did you mean 'lr'"),
        (["train", "--recipe", str(d / "types.toml")], "epochs must be an integer"),
        (["train", "--recipe", str(d / "section.toml")], "unknown sections"),
        (["train", "--recipe", str(d / "broken.toml")], "not valid TOML"),
        (["train", "--out", str(d / "afile"), "--epochs", "1"], "existing file"),
        (["train", "--nosuchflag"], "unrecognized arguments"),
        # evaluate / summary / diagnose / gradcheck on bad model files
        (["evaluate", str(d / "missing.safetensors")], "not found"),
        (["evaluate", str(d)], "directory"),
        (["evaluate", str(d / "truncated.safetensors")], "truncated"),
        (["evaluate", str(d / "weights.safetensors")], "truncated header"),
        (["evaluate", str(d / "state.safetensors")], "no architecture"),
        (["evaluate", str(d / "torch.pt")], "PyTorch pickle"),
        (["evaluate", str(d / "huge.safetensors")], "does not match the stored weights"),
        (["evaluate", str(d / "fifo.safetensors")], "not a regular file"),
        (["evaluate", m, "--split", "bogus"], "invalid choice"),
        (["evaluate", m, "--data", "nosuch"], "unknown dataset"),
        (["summary", str(d / "missing.safetensors")], "not found"),
        (["summary", m, "--graph", "x.txt"], "--graph must end"),
        (["summary", m, "--input-shape", "a,b"], "--input-shape must be"),
        (["diagnose", str(d / "truncated.safetensors")], "truncated"),
        (["gradcheck", m, "--samples", "0"], "--samples must be"),
        # predict
        (["predict", m, "--input", str(d / "missing.npy")], "not found"),
        (["predict", m, "--input", str(d / "pickled.npy")], "pickled"),
        (["predict", m, "--input", str(d / "nan.npy")], "NaN or inf (rows 2)"),
        (["predict", m, "--input", str(d / "shape.npy")], "expects inputs of shape"),
        (["predict", m, "--input", str(d / "text.csv")], "expected numbers"),
        (["predict", m, "--input", str(d / "input.bin")], ".npy or .csv"),
        (["predict", m, "--input", str(d / "good.npy"), "--output", str(d / "no" / "dir" / "p.csv")], "does not exist"),
        (["predict", m, "--input", str(d / "good.npy"), "--output", str(d)], "is a folder"),
        (["predict", str(d / "huge.safetensors"), "--input", str(d / "good.npy")], "does not match"),
        # tune
        (["tune", "--recipe", str(d / "tune_typo.toml")], "did you mean 'trials'"),
        (["tune", "--trial-timeout", "0"], "--trial-timeout must be"),
        (["tune", "--trial-timeout", "nan"], "--trial-timeout must be"),
        (["tune", "--trials", "0"], "trials"),
        (["tune", "--data", "nosuch"], "nosuch"),
    ]


def test_every_bad_argument_is_one_line_and_status_2(files, capsys, monkeypatch):
    monkeypatch.delenv("GRADKIT_DEBUG", raising=False)
    monkeypatch.chdir(files)
    failures = []
    for argv, expect in _cases(files):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
        err = capsys.readouterr().err.strip()
        lines = err.splitlines()
        ok = code == 2 and len(lines) == 1 and "Traceback" not in err and expect in err
        if not ok:
            failures.append(f"{argv}: status {code}, stderr {err!r} (expected {expect!r})")
    assert not failures, "\n".join(failures)


def test_debug_flag_shows_the_traceback(files, monkeypatch):
    monkeypatch.delenv("GRADKIT_DEBUG", raising=False)
    with pytest.raises(gk.io.CheckpointError):
        main(["evaluate", str(files / "truncated.safetensors"), "--debug"])
    monkeypatch.setenv("GRADKIT_DEBUG", "1")
    with pytest.raises(gk.io.CheckpointError):
        main(["evaluate", str(files / "truncated.safetensors")])


def test_predict_still_works_on_good_input(files, capsys):
    assert main(["predict", str(files / "model.safetensors"), "--input", str(files / "good.npy")]) == 0
    assert capsys.readouterr().out.startswith("label,confidence")


def test_train_stops_on_a_nan_loss_and_writes_no_model(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--model", "mlp", "--epochs", "3", "--lr", "1e30", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "the loss became nan at epoch" in err and "Traceback" not in err
    assert not (out / "model.safetensors").exists()
