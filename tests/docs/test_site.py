"""The documentation site builds with `mkdocs build --strict`: no broken links, no missing references
(slow: CI runs it)."""

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings")
    out = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-4000:]
    site = tmp_path / "site"
    for page in ("index.html", "coming-from-pytorch/index.html", "reference/nn/index.html",
                 "tutorials/optimizers/index.html"):
        assert (site / page).is_file(), page
    assert "class Adam" in (site / "reference/optim/index.html").read_text() or \
        "Adam" in (site / "reference/optim/index.html").read_text()


def test_every_example_has_a_tutorial_or_is_listed_as_support():
    examples = {p.stem for p in (ROOT / "examples").glob("*.py") if not p.stem.startswith("_")}
    text = "".join(p.read_text() for p in (ROOT / "docs" / "tutorials").glob("*.md"))
    text += (ROOT / "docs" / "coming-from-pytorch.md").read_text()
    missing = sorted(e for e in examples if f"examples/{e}.py" not in text)
    assert not missing, f"examples without a tutorial page: {missing}"
