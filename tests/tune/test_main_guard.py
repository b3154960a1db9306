"""executor='local' and scripts without an `if __name__ == "__main__":` guard.

Spawned workers run the main script again (as `__mp_main__`); a search called at its top level
would start again in every worker. The search refuses before any worker starts.
"""

import ast
import os
import subprocess
import sys
import textwrap

import pytest

from gradkit.tune import executors

SRC = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "src")

HEADER = """\
import os, sys
import gradkit as gk
with open(os.environ["MARKS"], "a") as f:  # one line per run of the top level
    f.write(__name__ + "\\n")
def train_fn(config, reporter):
    reporter(epoch=0, loss=config["x"])
def main():
    res = gk.tune.random_search(train_fn, {"x": gk.tune.uniform(0, 1)}, trials=2, metric="loss",
                                executor="local", max_workers=1, run_dir=sys.argv[1], plots=False, verbose=0)
    print("STATUSES", sorted(t.status for t in res.trials))
"""


def _run_script(tmp_path, tail):
    script = tmp_path / "search_script.py"
    script.write_text(HEADER + textwrap.dedent(tail))
    marks = tmp_path / "marks.txt"
    env = dict(os.environ, MARKS=str(marks),
               PYTHONPATH=os.pathsep.join([os.path.abspath(SRC), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "run")], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)
    runs = marks.read_text().split() if marks.exists() else []
    return proc, runs


def test_unguarded_search_is_refused_before_any_worker_starts(tmp_path):
    proc, runs = _run_script(tmp_path, "main()\n")
    assert proc.returncode != 0
    assert "RuntimeError" in proc.stderr and "line 11 of that script" in proc.stderr
    assert 'if __name__ == "__main__":' in proc.stderr and "executor='serial'" in proc.stderr
    assert runs == ["__main__"]  # no worker ran the script again
    assert not (tmp_path / "run").exists()  # refused before the run folder was made


def test_guarded_search_runs_in_workers(tmp_path):
    proc, runs = _run_script(tmp_path, """\
        if __name__ == "__main__":
            main()
        """)
    assert proc.returncode == 0, proc.stderr
    assert "STATUSES ['completed', 'completed']" in proc.stdout
    assert runs[0] == "__main__" and set(runs[1:]) == {"__mp_main__"}  # workers ran the top level, not the search


def _guarded(src, line):
    return executors._line_is_guarded(ast.parse(textwrap.dedent(src)).body, line)


def test_guard_detection_on_source_shapes():
    assert _guarded("""\
        x = 1
        if __name__ == '__main__':
            run()
        """, 3)
    assert not _guarded("x = 1\nrun()\n", 2)
    assert _guarded("if '__main__' == __name__:\n    run(\n        1)\n", 3)  # reversed, multi-line call
    assert _guarded("if __name__ != '__main__':\n    pass\nelse:\n    run()\n", 4)
    assert not _guarded("if __name__ == '__main__':\n    pass\nelse:\n    run()\n", 4)
    assert _guarded("try:\n    if __name__ == '__main__':\n        run()\nexcept KeyError:\n    pass\n", 3)
    assert not _guarded("try:\n    run()\nexcept KeyError:\n    pass\n", 2)
    assert not _guarded("if DEBUG:\n    run()\n", 2)
    assert not _guarded("if __name__ == '__mp_main__':\n    run()\n", 2)


def test_a_worker_rerunning_the_script_refuses_the_search():
    # what a worker sees when it reaches the search while running the script as __mp_main__
    code = compile("executors._check_main_guard('spawn')", "script.py", "exec")
    with pytest.raises(RuntimeError, match="this is a worker process of executor='local'"):
        exec(code, {"__name__": "__mp_main__", "executors": executors})
    exec(code, {"__name__": "some_module", "executors": executors})  # an ordinary import: no complaint
