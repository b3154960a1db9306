"""The command line's own surface: --version, help text on every option, examples at the end of every
subcommand's --help, `gradkit export --format onnx`, `gradkit train --tensorboard`."""

import argparse

import numpy as np
import pytest

from gradkit import __version__, cli


def _subparsers(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"gradkit {__version__}"


def test_every_subcommand_option_has_help_and_the_help_ends_with_examples():
    parser = cli.build_parser()
    subs = _subparsers(parser)
    assert {"train", "evaluate", "predict", "summary", "export", "diagnose", "gradcheck", "tune"} <= set(subs)
    for name, sub in subs.items():
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"gradkit {name}: {action.option_strings or action.dest} has no help text"
        text = sub.format_help().rstrip()
        tail = text.split("examples:")[-1].strip().splitlines()
        assert "examples:" in text and 2 <= len(tail) <= 3, f"gradkit {name} --help does not end with examples"
        assert all(line.strip().startswith(f"gradkit {name}") for line in tail), tail


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert cli.main(["train", "--model", "mlp", "--epochs", "2", "--quiet", "--out", str(out)]) == 0
    return out


def test_export_onnx_includes_the_standardization(trained, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    import gradkit as gk
    from gradkit._cli_common import load_for_inference

    path = tmp_path / "model.onnx"
    assert cli.main(["export", str(trained / "model.safetensors"), "--format", "onnx", "--out", str(path)]) == 0
    assert "input standardization" in capsys.readouterr().out
    model, meta, prep = load_for_inference(trained / "model.safetensors")
    X = np.random.default_rng(0).uniform(0, 16, (5, 64)).astype(np.float32)
    model.eval()
    with gk.no_grad():
        want = model(gk.tensor(prep.transform(X).astype(np.float32))).numpy()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(None, {"input": X})[0], want, rtol=1e-4, atol=1e-4)
    assert cli.main(["export", str(trained / "model.safetensors"), "--out", str(path)]) == 2  # exists
    assert "already exists" in capsys.readouterr().err


def test_train_with_tensorboard_writes_event_files(tmp_path):
    pytest.importorskip("tensorboardX")
    logs = tmp_path / "tb"
    assert cli.main(["train", "--model", "mlp", "--epochs", "2", "--quiet", "--out", str(tmp_path / "run"),
                     "--tensorboard", str(logs)]) == 0
    assert any(p.name.startswith("events.out.tfevents") for p in (logs / "train").iterdir())
