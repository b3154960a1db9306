"""Doctest set-up: docstring examples may use ``gk`` and ``np`` without importing them."""

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    import gradkit as gk

    doctest_namespace["gk"] = gk
    doctest_namespace["np"] = np
    gk.manual_seed(0)
    gk.set_default_dtype("float32")
