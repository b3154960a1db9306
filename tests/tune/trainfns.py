"""Module-level train functions for the tune tests (importable by spawned worker processes and Ray)."""

import math
import os
import time
import uuid


def _mark_call(config):
    """Leave one file per call in config['calls_dir'] (so tests can count calls across processes)."""
    d = config.get("calls_dir")
    if d:
        name = f"{config.get('x', 0):.17g}-{uuid.uuid4().hex}"
        with open(os.path.join(d, name), "w") as f:
            f.write("1")


def quadratic(config, reporter):
    """loss = (log10(lr) + 2.5)^2 + (x - 0.3)^2 plus a term that shrinks per epoch."""
    _mark_call(config)
    base = (math.log10(config["lr"]) + 2.5) ** 2 + (config["x"] - 0.3) ** 2
    for epoch in range(config.get("epochs", 3)):
        reporter(epoch=epoch, loss=base + 0.1 / (epoch + 1), acc=1.0 / (1.0 + base))
    return {"loss": base}


def sleeper(config, reporter):
    """Sleep config['sleep'] seconds, then report."""
    time.sleep(config["sleep"])
    reporter(epoch=0, loss=config["x"])


def crash_above_half(config, reporter):
    """Trains for two epochs, then crashes when x > 0.5."""
    _mark_call(config)
    reporter(epoch=0, loss=config["x"])
    if config["x"] > 0.5:
        raise RuntimeError(f"diverged at x={config['x']:.3f}")
    reporter(epoch=1, loss=config["x"] / 2)


def killed_after(config, reporter):
    """Counts calls; raises KeyboardInterrupt (a 'kill') once config['kill_at'] calls have happened."""
    d = config["calls_dir"]
    n_before = len(os.listdir(d))
    _mark_call(config)
    if config.get("kill_at") is not None and n_before >= config["kill_at"] and not os.path.exists(
            os.path.join(d, "..", "resumed")):
        raise KeyboardInterrupt
    reporter(epoch=0, loss=(config["x"] - 0.3) ** 2)


def curves(config, reporter):
    """A learning curve whose level is set by x (lower x is better at every epoch)."""
    for epoch in range(config.get("epochs", 8)):
        reporter(epoch=epoch, loss=config["x"] + 1.0 / (epoch + 1))


def hard_exit(config, reporter):
    """Kills its own worker process when x > 0.5 (like a segfault)."""
    if config["x"] > 0.5:
        os._exit(3)
    reporter(epoch=0, loss=config["x"])


def quadratic_x(config, reporter):
    """One epoch; loss = (x - 0.3)^2; counts calls."""
    _mark_call(config)
    reporter(epoch=0, loss=(config["x"] - 0.3) ** 2)


def slow_counted(config, reporter):
    """Counts calls, sleeps config['sleep'] seconds, reports (x - 0.3)^2."""
    _mark_call(config)
    time.sleep(config["sleep"])
    reporter(epoch=0, loss=(config["x"] - 0.3) ** 2)
