"""Every code example of docs/concepts.md runs.

The page states its set-up in its one ```python block; each table row's code (every code span of
its last column, left to right; ``python examples/...`` commands are left to tests/examples) runs
in a fresh namespace made by that set-up, in a scratch folder. A row that raises fails its test.
"""

from __future__ import annotations

import os
import re
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "concepts.md")

SETUP_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
SPAN = re.compile(r"`([^`]+)`")
COMMAND = re.compile(r"python examples/\w+\.py( --quick)?$")


def page_setup(text: str) -> str:
    blocks = SETUP_BLOCK.findall(text)
    assert len(blocks) == 1, f"docs/concepts.md should state one ```python set-up block, found {len(blocks)}"
    return blocks[0]


def row_examples(text: str) -> list[tuple[int, str, list[str]]]:
    """``(line number, concept, [code, ...])`` for each table row of the page."""
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.startswith("| ") or line.startswith("| Concept") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        code = [s for s in SPAN.findall(cells[-1]) if not COMMAND.match(s)]
        rows.append((n, cells[0], code))
    return rows


def run_row(setup: str, code: list[str], module_name: str = __name__) -> dict:
    ns = {"__name__": module_name}
    exec(compile(setup, "<concepts.md set-up>", "exec"), ns)
    # gk.tune's worker processes find train_fn by its module and name: make this row's the module's.
    this = sys.modules.get(module_name)
    if this is not None and "train_fn" in ns:
        this.train_fn = ns["train_fn"]
    for snippet in code:
        exec(compile(snippet, "<concepts.md example>", "exec"), ns)
    return ns


with open(DOC, encoding="utf-8") as _f:
    TEXT = _f.read()
SETUP = page_setup(TEXT)
ROWS = row_examples(TEXT)
exec(compile(SETUP, "<concepts.md set-up>", "exec"), globals())  # train_fn at module level, for workers


def test_extraction_finds_code_and_leaves_commands_and_prose():
    text = "| Concept | gradkit | One-line example |\n|---|---|---|\n" \
           "| A | `gk.x` | fit: `a = 1`, then `b = a + 1`; `python examples/x.py --quick` |\n"
    assert row_examples(text) == [(3, "A", ["a = 1", "b = a + 1"])]


def test_a_broken_example_fails():
    with pytest.raises(AttributeError):
        run_row("import gradkit as gk", ["gk.nn.NoSuchLayer(3)"], module_name="not_a_module")
    with pytest.raises(NameError):
        run_row("import gradkit as gk", ["undefined_model(3)"], module_name="not_a_module")
    assert run_row("import gradkit as gk", ["t = gk.tensor([1.0]) * 2"], module_name="not_a_module")["t"].item() == 2.0


def test_every_row_has_runnable_code():
    commands = {n for n, line in enumerate(TEXT.splitlines(), 1) if re.search(r"`python examples/\w+\.py", line)}
    without = [f"line {n}: {concept}" for n, concept, code in ROWS if not code and n not in commands]
    assert len(ROWS) > 150 and not without, f"rows with neither code nor an example script: {without}"


@pytest.mark.parametrize("line,concept,code", ROWS, ids=[f"L{n}-{c[:40]}" for n, c, _ in ROWS])
def test_example_runs(line, concept, code, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run_row(SETUP, code)
