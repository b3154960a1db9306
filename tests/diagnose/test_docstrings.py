"""The examples in gk.diagnose's docstrings run and give the documented results."""

import doctest
import importlib

import pytest

MODULES = ["bias_variance", "model_check", "health", "curves", "gradcheck", "flow"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(f"gradkit.diagnose.{name}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"gradkit.diagnose.{name} has no examples"
    assert result.failed == 0
