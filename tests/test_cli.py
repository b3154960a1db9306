"""The `gradkit` command: train, evaluate, predict, summary, recipes and errors."""

import json

import numpy as np
import pytest

from gradkit.cli import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--data", "iris", "--model", "mlp", "--epochs", "5", "--out", str(out), "--quiet"]) == 0
    return out


def test_train_writes_the_run_folder(run_dir):
    for name in ("metrics.json", "history.csv", "model.safetensors", "learning_curves.png", "confusion_matrix.png",
                 "health.png"):
        assert (run_dir / name).exists(), name
    assert not (run_dir / "checkpoint.safetensors").exists()  # removed once the run finished
    m = json.loads((run_dir / "metrics.json").read_text())
    for split in ("train", "dev", "test"):
        assert set(m[split]) >= {"loss", "accuracy"}
        assert 0.0 <= m[split]["accuracy"] <= 1.0
    assert m["run"]["dataset"] == "iris" and m["run"]["model"] == "mlp"
    assert len((run_dir / "history.csv").read_text().splitlines()) == 1 + m["run"]["epochs_run"]


def test_train_writes_health_png_and_lists_it(tmp_path, capsys):
    from matplotlib.image import imread

    out = tmp_path / "run"
    assert main(["train", "--data", "iris", "--model", "mlp", "--epochs", "2", "--out", str(out)]) == 0
    img = imread(str(out / "health.png"))
    assert img.ndim == 3 and img.shape[1] > img.shape[0] and img[..., :3].var() > 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("wrote ") and last.endswith("learning_curves.png confusion_matrix.png health.png")


def test_evaluate_reproduces_the_test_metrics(run_dir, capsys):
    m = json.loads((run_dir / "metrics.json").read_text())
    assert main(["evaluate", str(run_dir / "model.safetensors"), "--split", "test", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rows["test"]["accuracy"] == pytest.approx(m["test"]["accuracy"], abs=1e-6)


def test_predict_from_npy_and_csv(run_dir, tmp_path, capsys):
    import gradkit as gk

    X, y = gk.data.datasets.load("iris")
    np.save(tmp_path / "x.npy", X[:6])
    np.savetxt(tmp_path / "x.csv", X[:6], delimiter=",")
    assert main(["predict", str(run_dir / "model.safetensors"), "--input", str(tmp_path / "x.npy")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "label,confidence" and len(lines) == 7
    out = tmp_path / "p.csv"
    assert main(["predict", str(run_dir / "model.safetensors"), "--input", str(tmp_path / "x.csv"),
                 "--output", str(out)]) == 0
    assert out.read_text().splitlines()[1:] == lines[1:]
    np.save(tmp_path / "bad.npy", X[:2, :3])
    assert main(["predict", str(run_dir / "model.safetensors"), "--input", str(tmp_path / "bad.npy")]) == 2
    assert "expects inputs of shape (N, 4)" in capsys.readouterr().err


def test_summary(run_dir, capsys):
    assert main(["summary", str(run_dir / "model.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "Linear" in out and "Total params" in out


class _StubViz:
    """A stand-in for gradkit.viz (the real one is built elsewhere): records model_graph calls, writes a file."""

    def __init__(self):
        self.calls = []

    def module(self):
        import types

        mod = types.ModuleType("gradkit.viz")
        mod.model_graph = self.model_graph
        return mod

    def model_graph(self, model, example_input, depth=None):
        self.calls.append((model, example_input, depth))
        stub = self

        class Graph:
            def save(self, path):
                stub.saved = str(path)
                with open(path, "w") as f:
                    f.write("<svg/>")
                return path

        return Graph()


@pytest.fixture
def stub_viz(monkeypatch):
    import sys

    stub = _StubViz()
    monkeypatch.setitem(sys.modules, "gradkit.viz", stub.module())
    return stub


def test_summary_graph_uses_the_metadata_input_shape(run_dir, tmp_path, stub_viz, capsys):
    import gradkit as gk

    out = tmp_path / "model.svg"
    assert main(["summary", str(run_dir / "model.safetensors"), "--graph", str(out)]) == 0
    assert out.read_text() == "<svg/>" and stub_viz.saved == str(out)
    (model, x, depth), = stub_viz.calls
    assert isinstance(model, gk.nn.Module) and depth == 1
    assert isinstance(x, gk.Tensor) and x.shape == (1, 4) and not x.numpy().any() and x.dtype == np.float32
    assert f"wrote the model graph to {out}" in capsys.readouterr().out


def test_summary_graph_needs_an_input_shape(tmp_path, stub_viz, capsys):
    import gradkit as gk

    net = gk.nn.Sequential(gk.nn.Flatten(), gk.nn.Linear(64, 10))
    gk.save(net, tmp_path / "m.safetensors")
    assert main(["summary", str(tmp_path / "m.safetensors"), "--graph", str(tmp_path / "g.svg")]) == 2
    err = capsys.readouterr().err
    assert "no input shape in its metadata" in err and "--input-shape 1,8,8" in err
    assert stub_viz.calls == []
    assert main(["summary", str(tmp_path / "m.safetensors"), "--graph", str(tmp_path / "g.png"),
                 "--input-shape", "1,8,8"]) == 0
    assert stub_viz.calls[0][1].shape == (1, 1, 8, 8) and (tmp_path / "g.png").exists()
    assert main(["summary", str(tmp_path / "m.safetensors"), "--input-shape", "1,x8"]) == 2
    assert "--input-shape must be positive integers" in capsys.readouterr().err
    assert main(["summary", str(tmp_path / "m.safetensors"), "--input-shape", "3,5"]) == 2
    assert "failed on a zero batch of shape [(1, 3, 5)]" in capsys.readouterr().err
    assert main(["summary", str(tmp_path / "m.safetensors"), "--input-shape", "64", "--graph", "g.txt"]) == 2
    assert "--graph must end in .svg, .png, .pdf" in capsys.readouterr().err


def test_summary_graph_with_the_real_viz(run_dir, tmp_path):
    pytest.importorskip("gradkit.viz")
    out = tmp_path / "model.svg"
    assert main(["summary", str(run_dir / "model.safetensors"), "--graph", str(out)]) == 0
    assert out.exists() and out.stat().st_size > 100


@pytest.mark.parametrize("args,needle", [
    (["train", "--data", "nope"], "unknown dataset 'nope'; valid: "),
    (["train", "--model", "nope"], "unknown model 'nope'; valid presets: auto, cnn"),
    (["train", "--optimizer", "adamm"], "unknown optimizer 'adamm'; valid: adam"),
    (["train", "--init", "glorot"], "unknown init 'glorot'; valid: torch, he, xavier, lecun, zeros"),
    (["train", "--data", "iris", "--model", "cnn"], "model 'cnn' needs an image dataset"),
    (["evaluate", "missing.safetensors"], "model file not found"),
])
def test_bad_input_lists_valid_choices(args, needle, capsys):
    assert main(args) == 2
    assert needle in capsys.readouterr().err


def test_toml_recipe(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        '[data]\nname = "breast_cancer"\n\n[model]\npreset = "mlp"\nhidden = [16]\ndropout = 0.0\n\n'
        '[train]\nepochs = 3\nbatch_size = 64\noptimizer = "sgd"\nlr = 0.05\n'
    )
    out = tmp_path / "run"
    assert main(["train", "--recipe", str(recipe), "--out", str(out), "--quiet"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["run"]["dataset"] == "breast_cancer" and m["run"]["epochs_run"] == 3
    bad = tmp_path / "bad.toml"
    bad.write_text("[nonsense]\nx = 1\n")
    assert main(["train", "--recipe", str(bad)]) == 2


def test_train_init_flag_and_recipe_key(tmp_path):
    import gradkit as gk
    from gradkit.cli import INITS
    from gradkit.models._init import INITS as MODEL_INITS

    assert INITS == MODEL_INITS
    out = tmp_path / "he"
    assert main(["train", "--data", "iris", "--model", "mlp", "--init", "he", "--epochs", "1", "--out", str(out),
                 "--quiet"]) == 0
    assert gk.load_model(out / "model.safetensors").get_config()["init"] == "he"
    recipe = tmp_path / "r.toml"
    recipe.write_text('[data]\nname = "iris"\n\n[model]\npreset = "logreg"\ninit = "zeros"\n\n[train]\nepochs = 1\n')
    out2 = tmp_path / "zeros"
    assert main(["train", "--recipe", str(recipe), "--out", str(out2), "--quiet"]) == 0
    assert gk.load_model(out2 / "model.safetensors").get_config()["init"] == "zeros"
    # the flag wins over the recipe
    out3 = tmp_path / "lecun"
    assert main(["train", "--recipe", str(recipe), "--init", "lecun", "--out", str(out3), "--quiet"]) == 0
    assert gk.load_model(out3 / "model.safetensors").get_config()["init"] == "lecun"


def test_recipe_that_is_a_directory_is_a_user_error(tmp_path, capsys):
    assert main(["train", "--recipe", str(tmp_path)]) == 2  # not an IsADirectoryError traceback
    assert "recipe file not found" in capsys.readouterr().err


def test_subcommands_share_one_helper_module_below_every_cli():
    from gradkit import _cli_common, cli
    from gradkit.diagnose import cli as diagnose_cli
    from gradkit.tune import cli as tune_cli

    assert cli.CLIError is _cli_common.CLIError and cli.read_toml_recipe is _cli_common.read_toml_recipe
    assert diagnose_cli.CLIError is _cli_common.CLIError
    commands = set(cli.build_parser()._subparsers._group_actions[0].choices)
    assert commands == {"train", "evaluate", "predict", "summary", "export", "diagnose", "gradcheck", "tune"}
    with pytest.raises(tune_cli.TuneCLIError, match="recipe file not found"):
        _cli_common.read_toml_recipe("missing.toml", ("search",), error=tune_cli.TuneCLIError)


def test_train_prints_one_verdict_on_the_evaluated_errors(tmp_path, capsys):
    # fit's BiasVarianceVerdict measures the final model in eval mode, as the command's own report
    # on the evaluated train/dev accuracies does: the command prints that one, once, after training
    assert main(["train", "--data", "iris", "--model", "mlp", "--epochs", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("bias/variance:") == 1
    assert out.index("epoch 2/2") < out.index("bias/variance:") < out.index("wrote ")


def test_train_writes_history_csv_once_live(tmp_path, monkeypatch):
    from gradkit.train import callbacks, history

    def no_second_copy(self, path):
        raise AssertionError("history.csv is written by the CSVLogger only")

    rows_written = []
    live = callbacks.CSVLogger.on_epoch_end

    def counting(self, epoch, logs=None):
        rows_written.append(epoch)
        live(self, epoch, logs)

    monkeypatch.setattr(history.History, "to_csv", no_second_copy)
    monkeypatch.setattr(callbacks.CSVLogger, "on_epoch_end", counting)
    assert main(["train", "--data", "iris", "--model", "mlp", "--epochs", "3", "--out", str(tmp_path), "--quiet"]) == 0
    lines = (tmp_path / "history.csv").read_text().splitlines()
    assert lines[0] == "epoch,accuracy,loss,lr,val_accuracy,val_loss"  # the live order: Keras' sorted keys
    assert rows_written == [0, 1, 2] and [int(r.split(",")[0]) for r in lines[1:]] == [1, 2, 3]


def test_the_program_tunes_the_allocator_but_main_called_from_python_does_not(tmp_path, monkeypatch):
    # `gradkit` (console script, python -m gradkit) owns its process; cli.main() called from a
    # user's own program is a library call and leaves the allocator alone
    from gradkit import cli, parallel

    calls = []
    monkeypatch.setattr(parallel, "tune_allocator", lambda: calls.append("tuned") or True)
    assert main(["train", "--data", "iris", "--model", "mlp", "--epochs", "1", "--out", str(tmp_path), "--quiet"]) == 0
    assert calls == []
    monkeypatch.setattr(cli, "main", lambda argv=None: calls.append("main") or 0)
    assert cli.run() == 0
    assert calls == ["tuned", "main"]
