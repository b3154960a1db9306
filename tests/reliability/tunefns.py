"""Trial functions for the reliability tests (importable, so the local executor's workers can run them)."""

import sys


def raises_kind(config, reporter):
    kind = config["kind"]
    if kind == "exit":
        sys.exit(3)
    if kind == "interrupt":
        raise KeyboardInterrupt
    if kind == "error":
        raise RuntimeError("boom")
    reporter.report(loss=float(config["x"]))
    return {"loss": float(config["x"])}
