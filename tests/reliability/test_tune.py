"""A trial that raises anything is a failed trial; a damaged results file loses only its damaged lines."""

import json

import pytest

from gradkit import tune
from gradkit.tune.results import ResultsStore

from . import tunefns


@pytest.mark.parametrize("executor", ["serial", "local"])
def test_trials_raising_systemexit_keyboardinterrupt_and_errors_are_failed(tmp_path, executor):
    space = {"kind": tune.choice(["exit", "interrupt", "error", "ok"]), "x": tune.uniform(0.0, 1.0)}
    if executor == "serial":  # in the driver's own process a KeyboardInterrupt is the user's Ctrl-C
        space["kind"] = tune.choice(["exit", "error", "ok"])
    res = tune.random_search(tunefns.raises_kind, space, trials=12, metric="loss", executor=executor,
                             max_workers=2, run_dir=tmp_path, plots=False, verbose=0)
    assert len(res.trials) == 12
    for t in res.trials:
        want = "completed" if t.config["kind"] == "ok" else "failed"
        assert t.status == want, (t.config, t.status, t.error)
    kinds = {t.config["kind"] for t in res.trials if t.status == "failed"}
    assert "exit" in kinds and any(t.error.startswith("SystemExit") for t in res.trials if t.status == "failed")


def test_keyboard_interrupt_in_the_driver_stops_the_search():
    with pytest.raises(KeyboardInterrupt):
        tune.random_search(tunefns.raises_kind, {"kind": "interrupt", "x": 0.5}, trials=1, metric="loss",
                           executor="serial", plots=False, verbose=0)


def test_damaged_lines_anywhere_are_skipped_with_a_warning_naming_the_line(tmp_path):
    good = {"trial_id": "t0", "round": 0, "index": 0, "config": {"x": 1}, "status": "completed"}
    path = tmp_path / "results.jsonl"
    rows = [json.dumps(good).encode(), b"{not json", b"[1, 2]", b"\xff\xfe garbage", json.dumps(
        {**good, "trial_id": "t1", "index": 1}).encode(), b"\"a string\"", b"[" * 5000 + b"]" * 5000]
    path.write_bytes(b"\n".join(rows) + b"\n")
    with pytest.warns(UserWarning) as record:
        trials = ResultsStore(path).load()
    assert [t.trial_id for t in trials] == ["t0", "t1"]
    messages = " ".join(str(w.message) for w in record)
    for n in (2, 3, 4, 6, 7):
        assert f"results.jsonl:{n}:" in messages
