"""``gradkit tune``: hyperparameter search for an MLP classifier from the command line.

    gradkit tune [--data digits] [--trials 20] [--rounds 1] [--executor local|serial|ray]
                 [--address ADDR] [--max-workers N] [--recipe FILE.toml] [--epochs 10]
                 [--metric val_accuracy] [--mode max] [--early-stopping] [--out DIR] [--seed 0]

Each trial trains ``gk.models.MLP`` with :func:`gradkit.tune.recipes.train_mlp` on the
standardized 60/20/20 split of the dataset and reports ``val_loss`` / ``val_accuracy`` every
epoch. The searched space is :func:`gradkit.tune.default_space` (``lr`` log-uniform,
``hidden_units``, ``batch_size`` powers of two, ``dropout``, ``lr_decay`` for
``lr_t = lr / (1 + lr_decay * t)``) unless a TOML recipe gives one. With ``--rounds R > 1`` the
search is coarse to fine: ``R`` rounds of ``ceil(trials / R)`` trials, each round's ranges
zoomed around the best trials so far.

A recipe holds a ``[space]`` table and, optionally, a ``[search]`` table with defaults for the
options (command-line flags win)::

    [search]
    data = "digits"
    trials = 30
    rounds = 2
    epochs = 15
    metric = "val_accuracy"

    [space]
    lr = { type = "log_uniform", low = 1e-4, high = 1e-1 }
    hidden_units = { type = "int_uniform", low = 32, high = 256 }
    batch_size = { type = "powers_of_two", low = 16, high = 256 }
    dropout = { type = "uniform", low = 0.0, high = 0.5 }
    lr_decay = { type = "log_uniform", low = 1e-3, high = 1.0 }
    layers = 2

Everything is checked before the first trial starts: the recipe's ranges, the dataset, the
metric, the executor. The run folder (``--out``, default ``runs/tune-<timestamp>``) receives
``results.jsonl`` (one line per finished trial, so running the same command again resumes),
``search.json``, ``best.json`` and one ``<metric>_vs_<param>.png`` plot per hyperparameter.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
from pathlib import Path

__all__ = ["SEARCH_KEYS", "add_commands", "cmd_tune"]

#: Keys a recipe's ``[search]`` table may set (the long option names, ``-`` as ``_``).
SEARCH_KEYS = ("data", "data_root", "trials", "rounds", "zoom", "top_k", "executor", "address", "max_workers",
               "epochs", "metric", "mode", "early_stopping", "seed", "out", "trial_timeout")
_EXECUTORS = ("local", "serial", "ray")
_DEFAULTS = {"data": "digits", "data_root": None, "trials": 20, "rounds": 1, "zoom": 0.5, "top_k": 3,
             "executor": "local", "address": None, "max_workers": None, "epochs": 10, "metric": "val_accuracy",
             "mode": None, "early_stopping": False, "seed": 0, "out": None, "trial_timeout": None}


class TuneCLIError(Exception):
    """A user error in ``gradkit tune``: printed without a traceback, exit code 2."""


def _load_recipe(path) -> tuple[dict, dict | None]:
    """Read a recipe: its ``[search]`` settings and its space (None when it has no ``[space]``)."""
    from .._cli_common import read_toml_recipe
    from .space import space_from_dict

    p = Path(path)
    doc = read_toml_recipe(p, ("search", "space"), error=TuneCLIError)
    search = doc.get("search", {})
    if not isinstance(search, dict):
        raise TuneCLIError(f"recipe {p}: 'search' must be a table, got {type(search).__name__}")
    bad = sorted(set(search) - set(SEARCH_KEYS))
    if bad:
        import difflib

        close = difflib.get_close_matches(bad[0], SEARCH_KEYS, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise TuneCLIError(f"recipe {p}: unknown [search] key {bad[0]!r}{hint}; valid: {', '.join(SEARCH_KEYS)}")
    space = None
    if "space" in doc:
        try:
            space = space_from_dict(doc["space"], source=f"recipe {p} [space]")
        except (TypeError, ValueError) as exc:
            raise TuneCLIError(str(exc)) from None
    return search, space


def _settings(args) -> tuple[dict, dict]:
    """Merge defaults < recipe ``[search]`` < command-line flags; build and check the space."""
    from ..train.metrics import higher_is_better
    from .recipes import DATASETS, DATASETS_NEEDING_ROOT, MLP_METRICS, check_mlp_space
    from .space import Domain, default_space

    search, recipe_space = _load_recipe(args.recipe) if args.recipe else ({}, None)
    s = dict(_DEFAULTS)
    s.update(search)
    # a flag counts when given (store_true flags only when set: False means "not given")
    explicit = {k for k in SEARCH_KEYS
                if getattr(args, k, None) is not None and getattr(args, k, None) is not False}
    for k in explicit:
        s[k] = getattr(args, k)

    for k in ("trials", "rounds", "top_k", "epochs"):
        v = s[k]
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise TuneCLIError(f"--{k.replace('_', '-')} must be an integer >= 1, got {v!r}")
    if s["max_workers"] is not None and (not isinstance(s["max_workers"], int) or s["max_workers"] < 1):
        raise TuneCLIError(f"--max-workers must be an integer >= 1, got {s['max_workers']!r}")
    t = s["trial_timeout"]
    if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t <= 0):
        raise TuneCLIError(f"--trial-timeout must be a number of seconds > 0, got {t!r}")
    if isinstance(s["seed"], bool) or not isinstance(s["seed"], int):
        raise TuneCLIError(f"--seed must be an integer, got {s['seed']!r}")
    if not isinstance(s["zoom"], (int, float)) or not 0 < s["zoom"] <= 1:
        raise TuneCLIError(f"--zoom must be in (0, 1], got {s['zoom']!r}")
    if s["executor"] not in _EXECUTORS:
        raise TuneCLIError(f"unknown executor {s['executor']!r}; valid: {', '.join(_EXECUTORS)}")
    if s["address"] is not None and s["executor"] != "ray":
        raise TuneCLIError(f"--address {s['address']} names a Ray cluster: use it with --executor ray "
                           f"(got --executor {s['executor']})")
    if s["metric"] not in MLP_METRICS:
        raise TuneCLIError(f"unknown metric {s['metric']!r}; valid: {', '.join(MLP_METRICS)}")
    if s["mode"] is None:
        s["mode"] = "max" if higher_is_better(s["metric"]) else "min"
    if s["mode"] not in ("min", "max"):
        raise TuneCLIError(f"--mode must be 'min' or 'max', got {s['mode']!r}")

    space = dict(recipe_space) if recipe_space is not None else default_space()
    # constants every trial needs (the recipe's own values stay unless a flag overrides them)
    for key, setting in (("dataset", "data"), ("epochs", "epochs"), ("data_root", "data_root")):
        if (setting in explicit or key not in space) and s[setting] is not None:
            space[key] = s[setting]
    space.setdefault("seed", s["seed"])
    space.setdefault("split_seed", s["seed"])
    if isinstance(space.get("dataset"), Domain):
        raise TuneCLIError("the dataset cannot be a searched hyperparameter; give it with --data")
    try:
        check_mlp_space(space)
    except ValueError as exc:
        where = f" (recipe {args.recipe})" if args.recipe else ""
        raise TuneCLIError(f"{exc}{where}") from None
    if not any(isinstance(d, Domain) for d in space.values()):
        raise TuneCLIError("the search space has no searched hyperparameter (only constants); give at least one "
                           "range such as lr = { type = \"log_uniform\", low = 1e-4, high = 1.0 }")
    s["valid_datasets"] = DATASETS + DATASETS_NEEDING_ROOT
    return s, space


@contextlib.contextmanager
def _one_blas_thread_per_worker(enabled: bool):
    """Worker processes (one trial per core) each get one BLAS thread, so trials do not oversubscribe
    the cores; variables the user already set are left alone. The parent's BLAS is unaffected."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    added = [n for n in names if n not in os.environ] if enabled else []
    for n in added:
        os.environ[n] = "1"
    try:
        yield
    finally:
        for n in added:
            os.environ.pop(n, None)


def _print_table(result) -> None:
    try:
        from rich.console import Console
    except ImportError:
        print(f"[tune] {result!r} (pip install rich for a table of the best trials)")
        return
    Console().print(result.to_table())


def cmd_tune(args) -> int:
    """Run the search that ``gradkit tune`` describes; returns the exit code."""
    from . import coarse_to_fine, random_search
    from .recipes import MLP_METRICS, train_mlp

    try:
        s, space = _settings(args)
    except TuneCLIError as exc:
        print(f"gradkit tune: {exc}", file=sys.stderr)
        return 2
    out = Path(s["out"]) if s["out"] else Path("runs") / f"tune-{time.strftime('%Y%m%d-%H%M%S')}"
    verbose = 0 if args.quiet else 1
    common = {"metric": s["metric"], "mode": s["mode"], "executor": s["executor"], "max_workers": s["max_workers"],
              "run_dir": str(out), "seed": s["seed"], "address": s["address"], "metrics": list(MLP_METRICS),
              "early_stopping": "successive_halving" if s["early_stopping"] else None, "verbose": verbose,
              "trial_timeout": s["trial_timeout"]}
    if not args.quiet:
        searched = [k for k, d in space.items() if hasattr(d, "sample")]
        how = (f"coarse to fine, {s['rounds']} rounds of {math.ceil(s['trials'] / s['rounds'])}"
               if s["rounds"] > 1 else f"random search, {s['trials']} trials")
        print(f"gradkit tune: MLP on {space['dataset']} ({space['epochs']} epochs per trial), {how}, "
              f"{s['metric']} ({s['mode']}), executor {s['executor']}; searching {', '.join(searched)}")
    try:
        with _one_blas_thread_per_worker(s["executor"] == "local"):
            if s["rounds"] > 1:
                result = coarse_to_fine(train_mlp, space, rounds=s["rounds"],
                                        trials_per_round=math.ceil(s["trials"] / s["rounds"]), zoom=float(s["zoom"]),
                                        top_k=s["top_k"], **common)
            else:
                result = random_search(train_mlp, space, trials=s["trials"], **common)
    except (ValueError, TypeError, ImportError) as exc:
        print(f"gradkit tune: {exc}", file=sys.stderr)
        return 2
    if args.quiet:
        _print_table(result)
    best = result.best
    if best is None:
        print(f"gradkit tune: no trial finished with a value for {s['metric']}; "
              f"{len(result.failed)} failed (see {out / 'results.jsonl'})", file=sys.stderr)
        return 1
    summary = {"metric": s["metric"], "mode": s["mode"], "value": best.value, "trial": best.trial_id,
               "config": best.config, "final_metrics": best.metrics,
               "trials": {"completed": len(result.completed), "stopped": len(result.stopped),
                          "failed": len(result.failed)}}
    tmp = out / "best.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    os.replace(tmp, out / "best.json")
    searched = {k: v for k, v in best.config.items() if hasattr(result.space.get(k), "sample")}
    print(f"best config ({best.trial_id}, {s['metric']}={best.value:.4f}): {json.dumps(searched)}")
    print(f"wrote {out}/: results.jsonl search.json best.json and plots {s['metric']}_vs_<param>.png")
    return 0


def add_commands(subparsers) -> None:
    """Register ``gradkit tune`` on the ``gradkit`` command's subparsers."""
    from .recipes import DATASETS, DATASETS_NEEDING_ROOT, MLP_METRICS

    import argparse

    from .._cli_common import examples_epilog

    p = subparsers.add_parser(
        "tune", help="search an MLP's hyperparameters (random or coarse to fine, in parallel)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=examples_epilog("gradkit tune --trials 20 --epochs 5",
                               "gradkit tune --rounds 3 --trials 30 --early-stopping --out runs/tune1",
                               "gradkit tune --recipe search.toml --executor ray --trial-timeout 120"),
        description="Random (or coarse-to-fine) hyperparameter search for an MLP classifier: lr (log scale), "
                    "hidden units, batch size (powers of two), dropout and lr decay; writes results.jsonl, "
                    "best.json and plots to --out. Options left out come from the recipe's [search] table, "
                    "then the defaults shown.")
    p.add_argument("--data", help=f"dataset: {', '.join(DATASETS + DATASETS_NEEDING_ROOT)} (default digits)")
    p.add_argument("--data-root", dest="data_root", help="folder with the files of mnist, fashion_mnist or cifar10")
    p.add_argument("--trials", type=int, help="trials in all (default 20); split evenly over --rounds")
    p.add_argument("--rounds", type=int, help="coarse-to-fine rounds (default 1: plain random search)")
    p.add_argument("--zoom", type=float, help="width kept per coarse-to-fine round, in (0, 1] (default 0.5)")
    p.add_argument("--top-k", dest="top_k", type=int, help="best trials each zoom centres on (default 3)")
    p.add_argument("--executor", choices=_EXECUTORS, help="where trials run (default local: one per core)")
    p.add_argument("--address", help="Ray cluster address for --executor ray (default: start a local Ray)")
    p.add_argument("--max-workers", dest="max_workers", type=int, help="trials at once (default: one per core)")
    p.add_argument("--recipe", help="TOML file with a [space] table (and optional [search] defaults)")
    p.add_argument("--epochs", type=int, help="epochs per trial (default 10)")
    p.add_argument("--trial-timeout", dest="trial_timeout", type=float,
                   help="seconds a trial may run; longer ones are ended and recorded as 'timeout'")
    p.add_argument("--metric", help=f"metric to rank by: {', '.join(MLP_METRICS)} (default val_accuracy)")
    p.add_argument("--mode", choices=("min", "max"), help="min or max (default: max for accuracies, else min)")
    p.add_argument("--early-stopping", dest="early_stopping", action="store_true",
                   help="stop bad trials early by successive halving")
    p.add_argument("--out", help="run folder (default runs/tune-<timestamp>); rerunning into it resumes")
    p.add_argument("--seed", type=int, help="seed of the sampled configs, the split and the weights (default 0)")
    p.add_argument("--quiet", action="store_true", help="no per-trial lines; only the table and the best config")
    p.set_defaults(func=cmd_tune)
