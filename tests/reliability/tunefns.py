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


def sleepy(config, reporter):
    """Sleeps ``config['sleep']`` seconds (in Python), reporting the loss first."""
    import time

    reporter.report(loss=float(config["sleep"]))
    time.sleep(float(config["sleep"]))
    return {"loss": float(config["sleep"])}


def stuck_in_c(config, reporter):
    """Blocks in C code (a lock acquire with no timeout) where a Python timer cannot reach it... or not."""
    import os
    import threading

    with open(os.path.join(config["dir"], f"{os.getpid()}.pid"), "w") as f:
        f.write(str(os.getpid()))
    reporter.report(loss=1.0)
    if config.get("forever"):
        threading.Event().wait()
    return {"loss": 1.0}


def deaf(config, reporter):
    """Blocks SIGALRM (as a long C call would delay it) and sleeps: only the executor can end it."""
    import signal
    import time

    reporter.report(loss=float(config["sleep"]))
    if config["sleep"] > 1:
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
    time.sleep(float(config["sleep"]))
    return {"loss": float(config["sleep"])}
