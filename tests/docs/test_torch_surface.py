"""docs/torch_surface.md is what tools/torch_surface.py makes from the code (run `python dev.py surface`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIX = "the page is generated: run `python dev.py surface` and commit docs/torch_surface.md"


def _tool():
    spec = importlib.util.spec_from_file_location("torch_surface", ROOT / "tools" / "torch_surface.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_checked_in_page_equals_what_the_code_gives():
    tool = _tool()
    want = tool.render(tool.read_names())
    got = tool.PAGE.read_text(encoding="utf-8")
    assert got == want, f"docs/torch_surface.md differs from the code: {FIX}"


def test_recorded_torch_names_match_the_installed_torch():
    torch = pytest.importorskip("torch")
    tool = _tool()
    recorded = tool.read_names()
    if recorded["version"] != torch.__version__:
        pytest.skip(f"the names were recorded from torch {recorded['version']}, torch {torch.__version__} is installed")
    current = tool.torch_names(torch)
    assert current == recorded, f"tools/torch_surface_names.txt differs from dir(torch.Tensor)/dir(torch): {FIX}"


def _supported(text: str, section: str) -> str:
    """The names listed under "### Supported" in the page's section starting with ``section``."""
    return text.split(section, 1)[1].split("### Supported", 1)[1].split("###", 1)[0]


def test_page_lists_the_differences_and_what_is_supported():
    text = (ROOT / "docs" / "torch_surface.md").read_text(encoding="utf-8")
    assert "## Deliberate differences" in text and "bfloat16" in text.split("## `torch.Tensor`")[0]
    tensor = _supported(text, "## `torch.Tensor`")
    for name in ("new_zeros", "bernoulli_", "__dlpack__", "to", "element_size", "is_cuda", "type"):
        assert f"`{name}`" in tensor, name
    functions = _supported(text, "## `torch.*`")
    for name in ("from_dlpack", "randint_like", "finfo", "device", "zeros", "no_grad"):
        assert f"`{name}`" in functions, name
