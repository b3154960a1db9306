"""``gradkit tune``: the command line over gk.tune and the MLP trial function."""

import json

import pytest

import gradkit as gk
from gradkit.cli import main
from gradkit.tune.recipes import MLP_PARAMS, train_mlp


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_serial_tune_writes_results_plots_and_best_config(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["tune", "--data", "iris", "--trials", "2", "--epochs", "2", "--executor", "serial",
               "--out", str(out), "--seed", "3"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    trials = _lines(out / "results.jsonl")
    assert len(trials) == 2 and all(t["status"] == "completed" for t in trials)
    for t in trials:
        assert [r["epoch"] for r in t["reports"]] == [0, 1]
        assert {"val_loss", "val_accuracy", "loss", "accuracy", "lr"} <= set(t["reports"][0])
        assert t["config"]["dataset"] == "iris" and t["config"]["epochs"] == 2
        assert {"lr", "hidden_units", "batch_size", "dropout", "lr_decay"} <= set(t["config"])
        assert t["config"]["batch_size"] & (t["config"]["batch_size"] - 1) == 0  # a power of two
    best = json.loads((out / "best.json").read_text())
    assert best["metric"] == "val_accuracy" and best["mode"] == "max"
    assert best["value"] == max(t["value"] for t in trials)
    assert "best config" in captured.out and f"{best['config']['lr']}" in captured.out
    assert "best 2 of 2 trials" in captured.out  # the rich table's title
    for p in ("lr", "hidden_units", "batch_size", "dropout", "lr_decay"):
        assert (out / f"val_accuracy_vs_{p}.png").stat().st_size > 1000

    # the same command again resumes: nothing reruns
    rc = main(["tune", "--data", "iris", "--trials", "2", "--epochs", "2", "--executor", "serial",
               "--out", str(out), "--seed", "3", "--quiet"])
    captured = capsys.readouterr()
    assert rc == 0
    assert len(_lines(out / "results.jsonl")) == 2
    assert "best config" in captured.out


def test_bad_range_in_recipe_fails_before_any_trial(tmp_path, capsys):
    recipe = tmp_path / "bad.toml"
    recipe.write_text('[space]\nlr = { type = "log_uniform", low = 0.1, high = 0.001 }\n')
    out = tmp_path / "run"
    rc = main(["tune", "--data", "iris", "--trials", "2", "--epochs", "1", "--executor", "serial",
               "--recipe", str(recipe), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "'lr'" in err and "bad.toml" in err and "0.1" in err
    assert not out.exists()  # no run folder, no trial


@pytest.mark.parametrize("recipe_text, needle", [
    ('[space]\nlr = { type = "log_uniform", low = 0.0, high = 1.0 }\n', "'lr'"),
    ('[space]\nwidth = { type = "int_uniform", low = 8, high = 64 }\n', "unknown hyperparameter(s) ['width']"),
    ('[space]\nlr = { type = "log_uniform", low = 1e-3, high = 1.0 }\noptimizer = "adamz"\n', "'optimizer'"),
    ('[search]\ntrails = 3\n[space]\nlr = { type = "log_uniform", low = 1e-3, high = 1.0 }\n', "'trails' (did you mean 'trials'?)"),
    ('[model]\nhidden = 3\n', "unknown sections ['model']"),
    ('[space]\nlayers = 2\n', "no searched hyperparameter"),
    ('[space\n', "not valid TOML"),
])
def test_recipe_errors_name_the_problem(tmp_path, capsys, recipe_text, needle):
    recipe = tmp_path / "r.toml"
    recipe.write_text(recipe_text)
    rc = main(["tune", "--recipe", str(recipe), "--executor", "serial", "--out", str(tmp_path / "run")])
    assert rc == 2
    assert needle in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("argv, needle", [
    (["--data", "imagenet"], "unknown dataset 'imagenet'; valid: digits, iris"),
    (["--metric", "val_f1"], "unknown metric 'val_f1'; valid: val_loss, val_accuracy"),
    (["--data", "mnist"], "--data-root"),
    (["--trials", "0"], "--trials must be an integer >= 1"),
    (["--zoom", "1.5"], "--zoom must be in (0, 1]"),
    (["--address", "auto"], "use it with --executor ray"),
])
def test_bad_options_are_refused_with_the_valid_ones(tmp_path, capsys, argv, needle):
    out = tmp_path / "run"
    assert main(["tune", *argv, "--executor", "serial", "--out", str(out)]) == 2
    assert needle in capsys.readouterr().err
    assert not out.exists()


def test_unknown_executor_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["tune", "--executor", "gpu-farm"])
    assert e.value.code == 2
    assert "local" in capsys.readouterr().err


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as e:
        main(["tune", "--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    for opt in ("--data", "--trials", "--executor", "--address", "--recipe", "--epochs", "--metric", "--out",
                "--seed", "--rounds", "--early-stopping", "--max-workers", "local", "ray"):
        assert opt in text, opt


def test_recipe_search_table_and_flags_and_coarse_to_fine(tmp_path, capsys):
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        '[search]\ndata = "iris"\ntrials = 6\nepochs = 1\nmetric = "val_loss"\nexecutor = "serial"\n'
        '[space]\nlr = { type = "log_uniform", low = 1e-3, high = 1e-1 }\n'
        'hidden_units = { type = "int_uniform", low = 4, high = 16 }\nlayers = 2\nbatch_size = 32\n')
    out = tmp_path / "run"
    # flags win over [search]: 4 trials in 2 rounds of 2
    rc = main(["tune", "--recipe", str(recipe), "--trials", "4", "--rounds", "2", "--out", str(out), "--quiet"])
    assert rc == 0, capsys.readouterr().err
    trials = _lines(out / "results.jsonl")
    assert sorted((t["round"], t["index"]) for t in trials) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    for t in trials:
        c = t["config"]
        assert c["layers"] == 2 and c["batch_size"] == 32 and c["dataset"] == "iris" and c["epochs"] == 1
        assert 1e-3 <= c["lr"] <= 1e-1 and 4 <= c["hidden_units"] <= 16
        assert "dropout" not in c  # the recipe's space replaces the default one
    search = json.loads((out / "search.json").read_text())
    assert search["metric"] == "val_loss" and search["mode"] == "min" and search["search"] == "coarse_to_fine"
    assert len(search["round_spaces"]) == 2
    lo0, hi0 = search["round_spaces"][0]["lr"]["low"], search["round_spaces"][0]["lr"]["high"]
    lo1, hi1 = search["round_spaces"][1]["lr"]["low"], search["round_spaces"][1]["lr"]["high"]
    assert lo0 <= lo1 < hi1 <= hi0 and (hi1 / lo1) < (hi0 / lo0)  # zoomed on the log scale
    best = json.loads((out / "best.json").read_text())
    assert best["value"] == min(t["value"] for t in trials)


def test_train_mlp_reports_inverse_time_decay_and_learns():
    rep = gk.tune.Reporter("val_accuracy")
    cfg = {"dataset": "iris", "epochs": 4, "lr": 0.05, "lr_decay": 0.5, "hidden_units": 16, "batch_size": 16}
    final = train_mlp(cfg, rep)
    assert [r["epoch"] for r in rep.reports] == [0, 1, 2, 3]
    assert [r["lr"] for r in rep.reports] == pytest.approx([0.05 / (1 + 0.5 * t) for t in range(4)])
    assert rep.reports[-1]["val_accuracy"] > 0.8  # iris is easy: it must really train
    assert final["val_accuracy"] == rep.reports[-1]["val_accuracy"]
    # the same config twice gives the same curve (seeded init and shuffling)
    rep2 = gk.tune.Reporter("val_accuracy")
    train_mlp(cfg, rep2)
    assert rep2.reports == rep.reports


def test_train_mlp_rejects_unknown_keys():
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        train_mlp({"dataset": "iris", "learning_rate": 0.1}, gk.tune.Reporter("val_loss"))
    assert set(MLP_PARAMS) >= {"lr", "hidden_units", "batch_size", "dropout", "lr_decay", "dataset", "epochs"}


def test_local_executor_runs_the_module_level_trial_function(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["tune", "--data", "iris", "--trials", "2", "--epochs", "1", "--executor", "local",
               "--max-workers", "2", "--out", str(out), "--quiet"])
    assert rc == 0, capsys.readouterr().err
    trials = _lines(out / "results.jsonl")
    assert len(trials) == 2 and all(t["status"] == "completed" for t in trials), trials


def test_early_stopping_flag_stops_bad_trials(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["tune", "--data", "iris", "--trials", "3", "--epochs", "3", "--executor", "serial",
               "--early-stopping", "--out", str(out), "--quiet"])
    assert rc == 0, capsys.readouterr().err
    search = json.loads((out / "search.json").read_text())
    assert search["early_stopping"] is not None
    trials = _lines(out / "results.jsonl")
    stopped = [t for t in trials if t["status"] == "stopped"]
    assert stopped and all(len(t["reports"]) < 3 for t in stopped)
    assert any(t["status"] == "completed" and len(t["reports"]) == 3 for t in trials)


def test_ray_executor_runs_a_small_tune(tmp_path, capsys):
    pytest.importorskip("ray")
    out = tmp_path / "run"
    rc = main(["tune", "--data", "iris", "--trials", "2", "--epochs", "1", "--executor", "ray",
               "--max-workers", "2", "--out", str(out), "--quiet"])
    assert rc == 0, capsys.readouterr().err
    trials = _lines(out / "results.jsonl")
    assert len(trials) == 2 and all(t["status"] == "completed" for t in trials), trials
