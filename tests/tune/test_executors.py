"""Executors: local processes really run in parallel, survive a dying worker; Ray runs a search."""

import json
import os

import pytest

from gradkit import tune

from . import trainfns


def test_local_executor_runs_trials_in_parallel(tmp_path):
    res = tune.random_search(trainfns.sleeper, {"x": tune.uniform(0.0, 1.0), "sleep": 1.0}, trials=2,
                             metric="loss", executor="local", max_workers=2, run_dir=tmp_path, plots=False,
                             verbose=0)
    a, b = res.trials
    assert a.status == b.status == "completed"
    # each trial sleeps 1 s; their [start, end] intervals overlap only if they ran at the same time
    assert max(a.start_time, b.start_time) < min(a.end_time, b.end_time)


def test_local_executor_default_is_one_worker_per_core():
    assert tune.LocalExecutor().max_workers == (os.cpu_count() or 1)
    with pytest.raises(ValueError, match="max_workers"):
        tune.LocalExecutor(max_workers=0)


def test_local_executor_with_successive_halving(tmp_path):
    res = tune.random_search(trainfns.curves, {"x": tune.uniform(0.0, 1.0), "epochs": 8}, trials=6,
                             metric="loss", executor="local",
                             # one worker: the order trials reach each rung (and so who is stopped) is fixed;
                             # parallelism is tested above
                             max_workers=1,
                             # no rung at the last epoch: a trial that reported all 8 epochs has completed
                             early_stopping=tune.SuccessiveHalving(reduction_factor=2, max_t=8),
                             run_dir=tmp_path, plots=False, verbose=0)
    assert res.stopped and res.completed and not res.failed
    assert all(len(t.reports) < 8 for t in res.stopped)
    assert res.best.config["x"] == min(t.config["x"] for t in res.trials)


def test_a_dying_worker_fails_only_its_own_trial(tmp_path):
    space = {"x": tune.uniform(0.0, 1.0)}
    res = tune.random_search(trainfns.hard_exit, space, trials=4, metric="loss", executor="local", max_workers=2,
                             run_dir=tmp_path, plots=False, verbose=0)
    assert len(res.trials) == 4
    for t in res.trials:
        if t.config["x"] > 0.5:
            assert t.status == "failed" and "died abruptly" in t.error
        else:
            assert t.status == "completed"
    assert res.failed and res.completed


@pytest.mark.slow  # ~12-20 s: Ray starts a local instance
def test_ray_executor_runs_a_small_search(tmp_path):
    pytest.importorskip("ray")
    import ray
    space = {"lr": tune.log_uniform(1e-5, 1.0), "x": tune.uniform(0.0, 1.0), "epochs": 3}
    home_ray = os.path.join(os.path.expanduser("~"), ".ray")
    had_home_ray = os.path.exists(home_ray)
    res = tune.random_search(trainfns.quadratic, space, trials=4, metric="loss", executor="ray", max_workers=2,
                             early_stopping=tune.SuccessiveHalving(max_t=3), run_dir=tmp_path, plots=False,
                             verbose=0)
    assert not ray.is_initialized()  # the local instance it started is shut down
    assert os.path.exists(home_ray) == had_home_ray  # nothing written to the home folder
    assert len(res.trials) == 4 and not res.failed
    with open(tmp_path / "results.jsonl") as f:
        rows = [json.loads(line) for line in f]
    assert len(rows) == 4
    for row in rows:  # per-epoch reports from the Ray workers reached the results file
        n = len(row["reports"])
        assert (row["status"], n) in (("completed", 3), ("stopped", 1), ("stopped", 2))
        assert [r["epoch"] for r in row["reports"]] == list(range(n))


@pytest.mark.slow  # two local Ray starts, ~6 s
def test_ray_executor_starts_twice_in_one_process_and_restores_the_environment():
    pytest.importorskip("ray")
    from gradkit.tune.executors import RayExecutor

    before = {k: v for k, v in os.environ.items() if k.startswith("RAY_")}
    for _ in range(2):  # the second start used to crash Ray's GCS server (token mode left set, no token)
        ex = RayExecutor(max_workers=1)
        ex.__enter__()
        ex.close()
        assert {k: v for k, v in os.environ.items() if k.startswith("RAY_")} == before


def test_crash_records_come_from_the_one_trial_record_builder():
    import time

    from gradkit.tune import executors
    from gradkit.tune.trial import TrialJob, run_trial, trial_record

    job = TrialJob("t0", round=0, index=3, config={"x": 1.0}, train_fn=lambda config, reporter: {"loss": 0.5},
                   metric="loss")
    ran = run_trial(job)
    crashed = executors._crash_record(job, "worker process died abruptly", time.time())
    assert list(crashed) == list(ran)  # the same fields, in the same order
    assert crashed["status"] == "failed" and crashed["error"] == "worker process died abruptly"
    assert crashed["reports"] == [] and crashed["metrics"] == {} and crashed["traceback"] is None
    assert ran["metrics"] == {"loss": 0.5} and ran["status"] == "completed"
    rec = trial_record(job, "stopped", time.time() - 1.0, reports=[{"epoch": 0, "loss": 1.0}])
    assert rec["duration"] >= 1.0 and rec["config"] == {"x": 1.0} and rec["config"] is not job.config
