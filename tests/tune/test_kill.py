"""A search killed with SIGKILL (workers and all) resumes and skips the trials it had finished."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from gradkit import tune

from . import trainfns

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_sigkilled_local_search_resumes(tmp_path):
    calls = tmp_path / "calls"
    calls.mkdir()
    run = tmp_path / "run"
    script = tmp_path / "search.py"
    script.write_text(textwrap.dedent(f"""
        from gradkit import tune
        from tests.tune import trainfns
        if __name__ == "__main__":
            space = {{"x": tune.uniform(0.0, 1.0), "calls_dir": {str(calls)!r}, "sleep": 0.4}}
            tune.random_search(trainfns.slow_counted, space, trials=8, metric="loss", executor="local",
                               max_workers=2, run_dir={str(run)!r}, plots=False, verbose=0)
    """))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "src"), ROOT]))
    proc = subprocess.Popen([sys.executable, str(script)], env=env, start_new_session=True)
    results = run / "results.jsonl"
    deadline = time.time() + 60
    try:
        while time.time() < deadline and proc.poll() is None:
            if results.exists() and len(results.read_text().splitlines()) >= 3:
                break
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the search and its worker processes
        proc.wait()
    finished = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    assert 3 <= len(finished) < 8, "the search should have been killed midway"
    calls_before = len(os.listdir(calls))
    space = {"x": tune.uniform(0.0, 1.0), "calls_dir": str(calls), "sleep": 0.4}  # the killed run's space
    res = tune.random_search(trainfns.slow_counted, space, trials=8, metric="loss", executor="serial",
                             run_dir=run, plots=False, verbose=0)
    assert len(res.trials) == 8 and not res.failed
    assert len(os.listdir(calls)) - calls_before == 8 - len(finished)  # only the unfinished ones ran again
    done_ids = {r["trial_id"] for r in finished}
    assert {t.trial_id for t in res.trials} >= done_ids
