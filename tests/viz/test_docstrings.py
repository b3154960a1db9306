"""The examples in gk.viz's docstrings run and give the documented results."""

import doctest
import importlib

import pytest

MODULES = ["", "._trace", ".graph"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(f"gradkit.viz{name}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"gradkit.viz{name} has no examples"
    assert result.failed == 0
