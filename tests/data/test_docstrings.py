"""The examples in gk.data's docstrings run and give the documented results."""

import doctest
import importlib

import pytest

MODULES = ["dataset", "loader", "split", "preprocessing", "augmentation", "photometric", "idx", "cifar", "datasets"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name == "datasets":
        pytest.importorskip("sklearn")
    mod = importlib.import_module(f"gradkit.data.{name}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"gradkit.data.{name} has no examples"
    assert result.failed == 0
