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


# ----------------------------------------------------------------------------- coverage gate
# With pytest-cov collecting (`--cov=gradkit`, as CI runs it), each package below must keep
# its own line coverage; the total alone would let one package's gap hide behind another.
COVERAGE_GATES = {"gradkit/nn": 90.0, "gradkit/ops": 90.0}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session):
    result = yield  # pytest-cov's own wrapper (inside this one) has stopped and saved the data
    plugin = session.config.pluginmanager.getplugin("_cov")
    controller = getattr(plugin, "cov_controller", None)
    cov = getattr(controller, "cov", None)
    if cov is None or session.config.option.collectonly:
        return result
    import io

    writer = session.config.pluginmanager.getplugin("terminalreporter")
    writer.write("\n")
    for package, gate in COVERAGE_GATES.items():
        try:
            pct = cov.report(include=[f"*/{package}/*"], file=io.StringIO())
        except Exception as exc:  # noqa: BLE001 - no data for the package: a failed gate
            pct, why = 0.0, f" ({exc})"
        else:
            why = ""
        ok = pct >= gate
        writer.write_line(f"coverage gate: {package} {pct:.1f} % (needs {gate:.0f} %){why}",
                          green=ok, red=not ok)
        if not ok:
            session.testsfailed += 1
    return result
