"""random_search / coarse_to_fine: results file, failures, resuming, early stopping, bad input."""

import json
import math
import os

import pytest

import gradkit as gk
from gradkit import tune

from . import trainfns

QUAD = {"lr": tune.log_uniform(1e-5, 1.0), "x": tune.uniform(0.0, 1.0), "epochs": 2}


def lines(run_dir):
    with open(os.path.join(run_dir, "results.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_random_search_records_every_trial(tmp_path):
    res = tune.random_search(trainfns.quadratic, QUAD, trials=6, metric="loss", executor="serial",
                             run_dir=tmp_path, seed=1, plots=False, verbose=0)
    rows = lines(tmp_path)
    assert len(rows) == 6 and len(res.trials) == 6
    configs = tune.sample_configs(QUAD, 6, seed=None, generator=gk.Generator(1).spawn())
    assert [t.config for t in res.trials] == configs  # trial i is the i-th draw of the seed
    for row in rows:
        assert row["status"] == "completed" and row["error"] is None
        assert [r["epoch"] for r in row["reports"]] == [0, 1]
        assert row["end_time"] >= row["start_time"] and math.isclose(row["duration"],
                                                                     row["end_time"] - row["start_time"])
        expected = (math.log10(row["config"]["lr"]) + 2.5) ** 2 + (row["config"]["x"] - 0.3) ** 2
        assert math.isclose(row["value"], expected)  # the returned final metric ranks the trial
    assert res.best.value == min(t.value for t in res.trials)
    best_max = tune.random_search(trainfns.quadratic, QUAD, trials=6, metric="acc", mode="max",
                                  executor="serial", run_dir=tmp_path / "max", seed=1, plots=False, verbose=0)
    assert best_max.best.trial_id == res.best.trial_id  # acc = 1 / (1 + loss): same winner
    settings = json.loads((tmp_path / "search.json").read_text())
    assert settings["metric"] == "loss" and settings["space"]["lr"]["type"] == "log_uniform"


def test_coarse_to_fine_narrows_around_the_optimum(tmp_path):
    space = {"lr": tune.log_uniform(1e-5, 1.0), "x": tune.uniform(0.0, 1.0), "epochs": 1}
    res = tune.coarse_to_fine(trainfns.quadratic, space, rounds=3, trials_per_round=12, zoom=0.5, top_k=3,
                              metric="loss", executor="serial", run_dir=tmp_path, plots=False, verbose=0)
    assert len(res.spaces) == 3 and len(res.trials) == 36
    last = res.spaces[-1]
    # the optimum lr = 10**-2.5, x = 0.3 stays inside each zoomed range, and the ranges shrink 2x per round
    assert last["lr"].low < 10 ** -2.5 < last["lr"].high
    assert math.isclose(math.log10(last["lr"].high / last["lr"].low), 5 * 0.25, rel_tol=1e-9)
    assert last["x"].low < 0.3 < last["x"].high and math.isclose(last["x"].high - last["x"].low, 0.25)
    # later rounds sample closer to the optimum
    def mean_loss(r):
        return sum(t.value for t in res.trials if t.round == r) / 12
    assert mean_loss(2) < mean_loss(1) < mean_loss(0)
    coarse = tune.random_search(trainfns.quadratic, space, trials=36, metric="loss", executor="serial",
                                run_dir=tmp_path / "rs", plots=False, verbose=0)
    assert res.best.value < coarse.best.value
    assert abs(math.log10(res.best.config["lr"]) + 2.5) < 0.3 and abs(res.best.config["x"] - 0.3) < 0.1


@pytest.mark.parametrize("executor", ["serial", "local"])
def test_a_crashing_trial_is_recorded_and_the_others_finish(tmp_path, executor):
    space = {"x": tune.uniform(0.0, 1.0)}
    xs = [c["x"] for c in tune.sample_configs(space, 6, generator=gk.Generator(0).spawn())]
    assert any(x > 0.5 for x in xs) and any(x <= 0.5 for x in xs)  # the seed gives both kinds
    res = tune.random_search(trainfns.crash_above_half, space, trials=6, metric="loss", executor=executor,
                             max_workers=2, run_dir=tmp_path, plots=False, verbose=0)
    assert len(lines(tmp_path)) == 6
    for t in res.trials:
        if t.config["x"] > 0.5:
            assert t.status == "failed" and t.error.startswith("RuntimeError: diverged at x=")
            assert "crash_above_half" in t.traceback and len(t.reports) == 1
        else:
            assert t.status == "completed" and len(t.reports) == 2
    assert res.best.status == "completed" and res.best.config["x"] <= 0.5


def test_killed_search_resumes_without_rerunning_finished_trials(tmp_path):
    calls = tmp_path / "calls"
    calls.mkdir()
    space = {"x": tune.uniform(0.0, 1.0), "calls_dir": str(calls), "kill_at": 3}
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):  # the 4th trial is "killed" mid-search
        tune.random_search(trainfns.killed_after, space, trials=6, metric="loss", executor="serial", run_dir=run,
                           plots=False, verbose=0)
    assert len(lines(run)) == 3 and len(os.listdir(calls)) == 4
    (tmp_path / "resumed").write_text("1")
    res = tune.random_search(trainfns.killed_after, space, trials=6, metric="loss", executor="serial",
                             run_dir=run, plots=False, verbose=0)
    # 3 finished trials are reused; the killed one and the last two run: 4 + 3 calls in all
    assert len(os.listdir(calls)) == 7
    assert len(lines(run)) == 6 and [t.index for t in res.trials] == list(range(6))
    # resuming again runs nothing
    tune.random_search(trainfns.killed_after, space, trials=6, metric="loss", executor="serial", run_dir=run,
                       plots=False, verbose=0)
    assert len(os.listdir(calls)) == 7
    # resume=False starts over (old results are kept aside)
    tune.random_search(trainfns.killed_after, space, trials=2, metric="loss", executor="serial", run_dir=run,
                       resume=False, plots=False, verbose=0)
    assert len(os.listdir(calls)) == 9 and len(lines(run)) == 2
    assert any(n.startswith("results-") for n in os.listdir(run))


def test_resume_skips_a_torn_last_line_and_matches_by_config(tmp_path):
    calls = tmp_path / "calls"
    calls.mkdir()
    space = {"x": tune.uniform(0.0, 1.0), "calls_dir": str(calls)}
    tune.random_search(trainfns.quadratic_x, space, trials=3, metric="loss", executor="serial",
                       run_dir=tmp_path / "r", plots=False, verbose=0)
    with open(tmp_path / "r" / "results.jsonl", "a") as f:
        f.write('{"trial_id": "r0-0003", "conf')  # killed while writing
    with pytest.warns(UserWarning, match="incomplete last trial record"):
        res = tune.random_search(trainfns.quadratic_x, space, trials=4, metric="loss", executor="serial",
                                 run_dir=tmp_path / "r", plots=False, verbose=0)
    assert len(os.listdir(calls)) == 4 and len(res.trials) == 4
    assert [row["index"] for row in lines(tmp_path / "r")] == [0, 1, 2, 3]  # the torn bytes are gone
    # a different seed gives different configs: nothing is reused
    tune.random_search(trainfns.quadratic_x, space, trials=2, metric="loss", executor="serial", seed=5,
                       run_dir=tmp_path / "r", plots=False, verbose=0)
    assert len(os.listdir(calls)) == 6


def test_successive_halving_stops_bad_trials(tmp_path):
    space = {"x": tune.uniform(0.0, 1.0), "epochs": 8}
    res = tune.random_search(trainfns.curves, space, trials=8, metric="loss", executor="serial",
                             early_stopping="successive_halving", grace_period=1, reduction_factor=2,
                             run_dir=tmp_path, plots=False, verbose=0)
    stopped, completed = res.stopped, res.completed
    assert stopped and completed
    assert all(len(t.reports) < 8 for t in stopped) and all(len(t.reports) == 8 for t in completed)
    assert {row["status"] for row in lines(tmp_path)} == {"stopped", "completed"}
    # the overall best x (lowest curve) is never stopped
    best_x = min(t.config["x"] for t in res.trials)
    assert res.best.config["x"] == best_x and res.best.status == "completed"
    # rungs sit at 1, 2, 4 epochs: stopped trials end at a rung
    assert {len(t.reports) for t in stopped} <= {1, 2, 4}


def test_successive_halving_rule():
    sh = tune.SuccessiveHalving(grace_period=2, reduction_factor=3, metric="acc", mode="max")
    assert sh.milestones(20) == [2, 6, 18]
    assert not sh.should_stop("a", 1, 0.1)  # before the grace period nothing is recorded
    assert not sh.should_stop("a", 2, 0.5)
    assert sh.should_stop("b", 2, 0.4)  # worse than the 2/3 quantile of {0.5, 0.4}
    assert not sh.should_stop("c", 2, 0.9)
    assert sh.should_stop("d", 2, math.nan)  # a diverged trial is the worst
    with pytest.raises(ValueError, match="reduction_factor"):
        tune.SuccessiveHalving(reduction_factor=1)


def test_unknown_metric_raises(tmp_path):
    calls = tmp_path / "calls"
    calls.mkdir()
    space = {"x": tune.uniform(0.0, 1.0), "calls_dir": str(calls)}
    # declared metrics: checked before any trial starts
    with pytest.raises(ValueError, match="unknown metric 'val_los'"):
        tune.random_search(trainfns.quadratic_x, space, trials=3, metric="val_los", metrics=["loss", "acc"],
                           executor="serial", run_dir=tmp_path / "a", verbose=0)
    assert os.listdir(calls) == []
    # undeclared: the first report lacks it -> ValueError naming what was reported, nothing recorded
    with pytest.raises(ValueError, match=r"unknown metric 'val_los'.*\['loss'\]"):
        tune.random_search(trainfns.quadratic_x, space, trials=3, metric="val_los", executor="serial",
                           run_dir=tmp_path / "b", verbose=0)
    assert len(os.listdir(calls)) == 1
    assert not os.path.exists(tmp_path / "b" / "results.jsonl")


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(trials=0), ValueError, "trials must be an integer >= 1"),
    (dict(mode="minimize"), ValueError, "mode must be 'min' or 'max'"),
    (dict(executor="threads"), ValueError, "unknown executor 'threads'"),
    (dict(early_stopping="hyperband"), ValueError, "early_stopping"),
    (dict(space={"x": tune.uniform(0, 1), "bad": {1, 2}}), ValueError, "space entry 'bad'"),
    (dict(space={}), ValueError, "empty"),
])
def test_bad_input_raises_before_any_trial(tmp_path, kwargs, err, match):
    calls = tmp_path / "calls"
    calls.mkdir()
    args = dict(space={"x": tune.uniform(0.0, 1.0), "calls_dir": str(calls)}, trials=2, metric="loss",
                executor="serial", run_dir=tmp_path / "run", verbose=0)
    args.update(kwargs)
    with pytest.raises(err, match=match):
        tune.random_search(trainfns.quadratic_x, **args)
    assert os.listdir(calls) == []
    with pytest.raises(ValueError, match="zoom"):
        tune.coarse_to_fine(trainfns.quadratic_x, args["space"] if "space" not in kwargs else QUAD, zoom=1.5,
                            metric="loss", executor="serial", verbose=0)


def test_local_executor_rejects_unpicklable_train_fn_before_running():
    with pytest.raises(TypeError, match="module level"):
        tune.random_search(lambda c, r: r(loss=1.0), {"x": tune.uniform(0, 1)}, trials=2, metric="loss",
                           executor="local", verbose=0)


def test_table_and_plots(tmp_path):
    space = {"lr": tune.log_uniform(1e-5, 1.0), "x": tune.uniform(0.0, 1.0),
             "beta": tune.one_minus_log_uniform(0.9, 0.999), "bs": tune.powers_of_two(16, 256),
             "act": tune.choice(["relu", "tanh"]), "epochs": 1}
    res = tune.random_search(trainfns.quadratic, space, trials=6, metric="loss", executor="serial",
                             run_dir=tmp_path, plots=True, verbose=0)
    pngs = sorted(p for p in os.listdir(tmp_path) if p.endswith(".png"))
    assert pngs == ["loss_vs_act.png", "loss_vs_beta.png", "loss_vs_bs.png", "loss_vs_lr.png", "loss_vs_x.png"]
    assert all((tmp_path / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    from rich.console import Console
    table = res.to_table(k=3)
    assert table.row_count == 3 and [c.header for c in table.columns][:4] == ["rank", "trial", "status", "loss"]
    console = Console(record=True, width=200)
    console.print(table)
    text = console.export_text()
    first_row = next(line for line in text.splitlines() if line.startswith("│    1 │"))
    assert res.best.trial_id in first_row and "reports" in text
    assert "epochs" not in text  # constants are not columns


def test_plot_axes_follow_the_scale(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from gradkit.tune import report
    space = {"lr": tune.log_uniform(1e-5, 1.0), "beta": tune.one_minus_log_uniform(0.9, 0.999),
             "x": tune.uniform(0.0, 1.0), "epochs": 1}
    res = tune.random_search(trainfns.quadratic, space, trials=4, metric="loss", executor="serial",
                             run_dir=tmp_path, plots=False, verbose=0)
    scales = {}
    real_savefig = plt.Figure.savefig

    def spy(fig, path, **kw):
        scales[os.path.basename(path)] = fig.axes[0].get_xscale()
        return real_savefig(fig, path, **kw)
    plt.Figure.savefig = spy
    try:
        report.plot_results(res, str(tmp_path))
    finally:
        plt.Figure.savefig = real_savefig
    assert scales == {"loss_vs_lr.png": "log", "loss_vs_beta.png": "logit", "loss_vs_x.png": "linear"}


def test_ray_missing_says_how_to_install(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ImportError, match=r"pip install \"gradkit\[ray\]\""):
        tune.random_search(trainfns.quadratic, QUAD, trials=2, metric="loss", executor="ray", verbose=0)


def test_search_result_load_round_trip(tmp_path):
    res = tune.coarse_to_fine(trainfns.quadratic, QUAD, rounds=2, trials_per_round=3, metric="loss",
                              executor="serial", run_dir=tmp_path, plots=False, verbose=0)
    back = tune.SearchResult.load(tmp_path)
    assert [t.to_dict() for t in back.trials] == [t.to_dict() for t in res.trials]
    assert back.spaces == res.spaces and back.space == res.space and back.best.trial_id == res.best.trial_id
    with pytest.raises(FileNotFoundError, match="not the run folder"):
        tune.SearchResult.load(tmp_path / "nope")


def train_linear_regression(config, reporter):
    """A real gradkit training run: gradient descent on least squares; lr from the config."""
    gen = gk.Generator(0)
    rng = gk.random.get_generator(gen)
    X = gk.tensor(rng.normal(size=(64, 3)).astype("float32"))
    y = X @ gk.tensor([[1.0], [-2.0], [0.5]])
    w = gk.zeros(3, 1, requires_grad=True)
    for epoch in range(config["epochs"]):
        loss = ((X @ w - y) ** 2).mean()
        loss.backward()
        with gk.no_grad():
            w -= config["lr"] * w.grad
        w.grad = None
        reporter(epoch=epoch, loss=loss)
    return {"loss": ((X @ w - y) ** 2).mean()}


def test_tuning_a_real_gradkit_model(tmp_path):
    res = tune.random_search(train_linear_regression, {"lr": tune.log_uniform(1e-4, 1.0), "epochs": 30},
                             trials=8, metric="loss", executor="serial", run_dir=tmp_path, plots=False, verbose=0)
    assert not res.failed
    # too small a learning rate barely moves; the best one is large but stable
    assert 0.05 < res.best.config["lr"] <= 1.0 and res.best.value < 0.05
    worst = max(res.completed, key=lambda t: t.value)
    assert worst.config["lr"] < res.best.config["lr"]
    assert all(isinstance(r["loss"], float) for t in res.trials for r in t.reports)  # tensors became floats
