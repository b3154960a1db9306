"""Real programs ported to gradkit (``examples/ports/``): each runs a short configuration and reaches a
stated bar, and each port's "Lines changed from the original" list names lines the file really has.

The bars (measured on the quick runs, with margin; numbers of a run on 2 shared cores):

================================  ==========================================  ==========  ========
port                              quick run                                   measured    bar
================================  ==========================================  ==========  ========
mnist_convnet.py                  ``--epochs 4`` (Adadelta, StepLR)            0.98 acc    >= 0.95
quickstart.py                     as written (5 epochs)                       0.91 acc    >= 0.85
d2l_mlp_concise.py                as written (10 epochs)                      0.97 acc    >= 0.93
keras_mnist_convnet.py            as written (15 epochs, batch 128)           0.97 acc    >= 0.90
micrograd_demo.py                 as written (100 steps)                      0.96 acc    >= 0.90
word_language_model.py            ``--epochs 10 --emsize 64 --nhid 64 --tied``  ppl 4.1     <= 8
================================  ==========================================  ==========  ========

(Test accuracies on 297 held-out digits; the language model's test perplexity on its generated corpus
of ~40 words, where a model that learned nothing but word frequencies sits near 25.)
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PORTS = os.path.join(ROOT, "examples", "ports")

# port -> (command-line arguments of its quick run, regex of the reported number, how to judge it, files it writes)
CASES = {
    "mnist_convnet.py": (["--epochs", "4", "--save-model"], r"Accuracy: (\d+)/(\d+)", ("acc_frac", 0.95),
                         ["mnist_cnn.pt"]),
    "quickstart.py": ([], r"Accuracy: ([\d.]+)%", ("acc_percent", 85.0), ["model.pth"]),
    "d2l_mlp_concise.py": ([], r"test acc ([\d.]+)", ("acc", 0.93), []),
    "keras_mnist_convnet.py": ([], r"Test accuracy: ([\d.]+)", ("acc", 0.90), []),
    "micrograd_demo.py": ([], r"accuracy ([\d.]+)%", ("acc_percent", 90.0), []),
    "word_language_model.py": (["--epochs", "10", "--emsize", "64", "--nhid", "64", "--tied"],
                               r"test ppl\s+([\d.]+)", ("ppl", 8.0), ["model.pt"]),
}


def run_port(name, out_dir, args):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, os.path.join(PORTS, name), *args], check=False, capture_output=True,
                          text=True, env=env, timeout=300, cwd=str(out_dir))


def test_every_port_is_tested():
    on_disk = {f for f in os.listdir(PORTS) if f.endswith(".py") and not f.startswith("_")}
    assert on_disk == set(CASES), f"untested ports: {sorted(on_disk - set(CASES))}; missing: {sorted(set(CASES) - on_disk)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_port_reaches_its_bar(name, tmp_path):
    args, pattern, (kind, bar), files = CASES[name]
    proc = run_port(name, tmp_path, args)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    found = re.findall(pattern, proc.stdout)
    assert found, f"{name}: no line matching {pattern!r} in its output:\n{proc.stdout[-3000:]}"
    last = found[-1]
    if kind == "acc_frac":
        value = int(last[0]) / int(last[1])
    else:
        value = float(last)
    if kind == "acc_percent":
        value /= 100.0
        bar /= 100.0
    if kind == "ppl":
        assert value <= bar, f"{name}: test perplexity {value} above the bar {bar}"
    else:
        assert value >= bar, f"{name}: accuracy {value:.4f} below the bar {bar}"
    for f in files:
        assert (tmp_path / f).exists(), f"{name} did not write {f}"


# ------------------------------------------------------------------ the "Lines changed" lists stay honest
def changed_section(doc: str) -> str:
    m = re.search(r"^Lines changed from the original\n-+\n(.*?)(?=\n\n\S[^\n]*:|\Z)", doc, re.S | re.M)
    assert m, "the module docstring has no 'Lines changed from the original' section (title, underline, list)"
    return m.group(1).strip()


def listed_lines(section: str) -> list[str]:
    """The first ``double-backquoted`` span of each ``- `` item: a line (or the start of one) of the port."""
    if section == "(none)":
        return []
    items = re.split(r"^- ", section, flags=re.M)[1:]
    assert items, f"the section is neither '(none)' nor a list of '- ``line``: why' items:\n{section}"
    lines = []
    for item in items:
        m = re.match(r"``(.+?)``", item)
        assert m, f"an item does not start with the ``line`` it changed: {item[:80]!r}"
        assert len(item) > len(m.group(0)) + 20, f"an item gives no reason: {item!r}"
        lines.append(m.group(1))
    return lines


def code_lines(source: str) -> list[str]:
    tree = ast.parse(source)
    doc = ast.get_docstring(tree, clean=False)
    body = source.split(doc, 1)[1] if doc else source
    return [ln.strip() for ln in body.splitlines()]


@pytest.mark.parametrize("name", sorted(CASES))
def test_lines_changed_section_names_lines_of_the_port(name):
    with open(os.path.join(PORTS, name), encoding="utf-8") as f:
        source = f.read()
    doc = ast.get_docstring(ast.parse(source), clean=True)
    assert doc, f"{name} has no module docstring"
    assert doc.index("Lines changed from the original") < 400, f"{name}: the section must come first"
    for word in ("Original:", "Structure", "Imports and data:"):
        assert word in doc, f"{name}: the docstring lacks its {word!r} paragraph"
    code = code_lines(source)
    for listed in listed_lines(changed_section(doc)):
        assert any(ln == listed or ln.startswith(listed) for ln in code), \
            f"{name}: the changed line {listed!r} is not in the file"


def test_the_section_parser_catches_a_stale_entry():
    doc = "T\n\nLines changed from the original\n-------------------------------\n" \
          "- ``x = 1``: a reason long enough to count.\n\nOriginal: here.\n"
    assert listed_lines(changed_section(doc)) == ["x = 1"]
    assert not any(ln.startswith("x = 1") for ln in code_lines(f'"""{doc}"""\ny = 2\n'))
    with pytest.raises(AssertionError):
        listed_lines("- no backquotes here, only words")
