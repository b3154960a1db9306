"""Random search and coarse-to-fine search over a space, in parallel, resumable.

The recipe (Bergstra & Bengio, 2012, "Random Search for Hyper-Parameter
Optimization"; and the course advice it became): sample configurations at
random rather than on a grid, so every trial tries a new value of the
hyperparameter that matters most; sample each on its own scale; then zoom into
the region where the best trials landed and sample more densely there
(coarse to fine). Optionally stop bad trials early with successive halving.

``train_fn(config, reporter)`` is any function that trains with the
hyperparameters in ``config`` (a dict), calls ``reporter(epoch=e, **metrics)``
once per epoch, and may return final metrics (a dict, or a number for the
searched metric). It is independent of :mod:`gradkit.train`.

Examples:
    >>> import gradkit as gk
    >>> def train_fn(config, reporter):
    ...     for epoch in range(3):
    ...         reporter(epoch=epoch, loss=(config["x"] - 0.3) ** 2 + 1 / (epoch + 1))
    >>> res = gk.tune.random_search(train_fn, {"x": gk.tune.uniform(0, 1)}, trials=8, metric="loss",
    ...                             executor="serial", plots=False, verbose=0)
    >>> len(res.completed), abs(res.best_config["x"] - 0.3) < 0.3
    (8, True)
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
import warnings
from typing import Callable, Mapping, Sequence

from ..random import Generator
from .executors import Executor, get_executor
from .results import RESULTS_FILE, ResultsStore, SearchResult, Trial, config_key, jsonable
from .schedulers import SuccessiveHalving
from .space import sample_configs, space_to_dict, validate_space, zoom_space
from .trial import TrialJob, trial_value

__all__ = ["random_search", "coarse_to_fine"]


def _check_int(name: str, v, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v!r}")
    return v


def _make_scheduler(early_stopping, metric, mode, grace_period, reduction_factor):
    if early_stopping is None or early_stopping is False:
        return None
    if isinstance(early_stopping, SuccessiveHalving):
        cfg = early_stopping.config()
        cfg.update(metric=metric, mode=mode)
        return SuccessiveHalving(**cfg)
    if early_stopping in ("successive_halving", "asha"):
        return SuccessiveHalving(grace_period=grace_period, reduction_factor=reduction_factor, metric=metric,
                                 mode=mode)
    raise ValueError(f"early_stopping must be None, 'successive_halving' or a SuccessiveHalving, "
                     f"got {early_stopping!r}")


def _write_json(path: str, obj) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)


def _search(train_fn: Callable, space: Mapping, *, rounds: int, trials_per_round: int, zoom: float,
            top_k: int, metric: str, mode: str, executor, max_workers, address, run_dir, seed: int,
            early_stopping, grace_period, reduction_factor, resume: bool, metrics: Sequence[str] | None,
            plots: bool, verbose: int, rerun_failed: bool, kind: str, trial_timeout=None) -> SearchResult:
    # ---- validate everything before any trial starts
    space, rounds, trials_per_round, top_k = _validated_args(
        train_fn, space, rounds=rounds, trials_per_round=trials_per_round, zoom=zoom, top_k=top_k, metric=metric,
        mode=mode, metrics=metrics, seed=seed, kind=kind)
    if trial_timeout is not None and (isinstance(trial_timeout, bool) or not isinstance(trial_timeout, (int, float))
                                      or not math.isfinite(trial_timeout) or trial_timeout <= 0):
        raise ValueError(f"trial_timeout must be a number of seconds > 0 or None, got {trial_timeout!r}")
    scheduler = _make_scheduler(early_stopping, metric, mode, grace_period, reduction_factor)
    ex: Executor = get_executor(executor, max_workers=max_workers, address=address)
    ex.check_job(TrialJob("check", 0, 0, {}, train_fn, metric))

    # ---- the run folder and what earlier runs left there
    run_dir, store, done = _open_run_dir(run_dir, resume=resume, rerun_failed=rerun_failed, verbose=verbose)
    settings = {"search": kind, "metric": metric, "mode": mode, "seed": seed, "rounds": rounds,
                "trials_per_round": trials_per_round, "zoom": zoom, "top_k": top_k,
                "executor": ex.name, "early_stopping": None if scheduler is None else scheduler.config(),
                "space": space_to_dict(space), "round_spaces": []}
    settings_path = os.path.join(run_dir, "search.json")
    if scheduler is not None:  # earlier epochs of resumed trials count at the rungs
        _replay_resumed_reports(scheduler, done, metric)

    # ---- the rounds
    all_trials: list[Trial] = []
    spaces = []
    gen = Generator(seed)
    cur = space
    with ex:
        handle = ex.host_scheduler(scheduler) if scheduler is not None else None
        for r in range(rounds):
            spaces.append(cur)
            settings["round_spaces"].append(space_to_dict(cur))
            _write_json(settings_path, settings)
            round_gen = gen.spawn()
            configs = [jsonable(c) for c in sample_configs(cur, trials_per_round, round_gen)]
            jobs = _round_jobs(r, configs, done, all_trials, train_fn, metric, handle, trial_timeout)
            if verbose and jobs:
                print(f"[tune] round {r}: running {len(jobs)} of {len(configs)} trials on executor={ex.name!r}")
            try:
                _run_jobs(ex, jobs, store, all_trials, metric, verbose)
            except KeyboardInterrupt:
                if verbose:
                    print(f"\n[tune] interrupted: {len(all_trials)} finished trials are kept in "
                          f"{os.path.join(run_dir, RESULTS_FILE)}; run the same search again to resume")
                raise
            if r + 1 < rounds:
                cur = _zoomed(cur, all_trials, metric, mode, top_k, zoom, verbose)

    result = SearchResult(all_trials, metric, mode, run_dir=run_dir, spaces=spaces, space=space)
    if plots and result.best is not None:
        try:
            result.plot()
        except ImportError as e:
            warnings.warn(f"tune: plots skipped, matplotlib is not installed ({e}); pip install matplotlib",
                          stacklevel=3)
    if verbose:
        _print_summary(result)
    return result


def _validated_args(train_fn, space, *, rounds, trials_per_round, zoom, top_k, metric, mode, metrics, seed, kind):
    """Check the search's arguments; return the validated ``(space, rounds, trials_per_round, top_k)``.

    Raises:
        TypeError: for a ``train_fn`` that is not callable or a seed that is not an integer.
        ValueError: for a bad space, count, zoom, mode or metric.
    """
    if not callable(train_fn):
        raise TypeError(f"train_fn must be callable as train_fn(config, reporter), got {type(train_fn).__name__}")
    space = validate_space(space)
    rounds = _check_int("rounds", rounds)
    trials_per_round = _check_int("trials" if kind == "random" else "trials_per_round", trials_per_round)
    top_k = _check_int("top_k", top_k)
    if not 0 < zoom <= 1:
        raise ValueError(f"zoom must be in (0, 1] (the width kept per round), got {zoom!r}")
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    if not isinstance(metric, str) or not metric:
        raise ValueError(f"metric must be a metric name such as 'val_loss', got {metric!r}")
    if metrics is not None and metric not in metrics:
        raise ValueError(f"unknown metric {metric!r}: train_fn declares {list(metrics)}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    return space, rounds, trials_per_round, top_k


def _open_run_dir(run_dir, *, resume: bool, rerun_failed: bool, verbose: int):
    """The run folder (created; a new temp folder when ``None``), its results store and its finished trials.

    Without ``resume`` earlier results are moved aside. Returns ``(run_dir, store, done)``, ``done``
    mapping each reusable trial's key to the trial (failed ones left out when ``rerun_failed``).
    """
    run_dir = os.fspath(run_dir) if run_dir is not None else tempfile.mkdtemp(prefix="gradkit-tune-")
    os.makedirs(run_dir, exist_ok=True)
    results_path = os.path.join(run_dir, RESULTS_FILE)
    if not resume and os.path.exists(results_path):
        aside = os.path.join(run_dir, f"results-{time.strftime('%Y%m%d-%H%M%S')}.jsonl")
        os.replace(results_path, aside)
        if verbose:
            print(f"[tune] resume=False: moved earlier results to {aside}")
    store = ResultsStore(results_path)
    done: dict[str, Trial] = {}
    for t in store.load():
        if t.status in ("failed", "timeout") and rerun_failed:
            continue
        done[t.key] = t
    if done and verbose:
        print(f"[tune] resuming: {len(done)} finished trials found in {results_path}")
    return run_dir, store, done


def _replay_resumed_reports(scheduler, done, metric):
    """Feed the scheduler the per-epoch reports of the resumed trials, so they count at the rungs."""
    for t in sorted(done.values(), key=lambda t: (t.round, t.index)):
        for i, row in enumerate(t.reports, 1):
            if metric in row:
                scheduler.should_stop(t.trial_id, i, row[metric])


def _round_jobs(r, configs, done, all_trials, train_fn, metric, handle, timeout=None):
    """The jobs of round ``r``; configurations already finished in the run folder go straight to ``all_trials``."""
    jobs = []
    for i, cfg in enumerate(configs):
        key = config_key(r, i, cfg)
        if key in done:
            all_trials.append(done[key])
        else:
            jobs.append(TrialJob(f"r{r}-{i:04d}", r, i, cfg, train_fn, metric, handle, timeout=timeout))
    return jobs


def _run_jobs(ex, jobs, store, all_trials, metric, verbose):
    """Run the jobs on the executor; record each finished trial in the store and append it to ``all_trials``.

    Raises:
        ValueError: when a trial reported no ``metric`` (the executor's ``invalid_metric`` record).
    """
    runner = ex.run(jobs)
    try:
        for rec in runner:
            if rec["status"] == "invalid_metric":
                raise ValueError(rec["error"])
            rec["value"] = trial_value(rec, metric)
            trial = Trial.from_dict(rec)
            store.append(trial)
            all_trials.append(trial)
            if verbose:
                _print_trial(trial, metric)
    finally:
        runner.close()


def _zoomed(cur, trials, metric, mode, top_k, zoom, verbose):
    ranked = SearchResult(trials, metric, mode).ranked()
    if not ranked:
        ranked = SearchResult(trials, metric, mode).ranked(include_stopped=True)
    if not ranked:
        warnings.warn("coarse_to_fine: no trial of this round produced a value; the next round keeps the same "
                      "space", stacklevel=3)
        return cur
    new = zoom_space(cur, [t.config for t in ranked[:top_k]], zoom)
    if verbose:
        print(f"[tune] zoomed around the best {min(top_k, len(ranked))}: {new}")
    return new


def _print_trial(t: Trial, metric: str) -> None:
    extra = f" ({t.error})" if t.status in ("failed", "timeout") else ""
    print(f"[tune] {t.trial_id} {t.status:9s} {metric}={t.value:.5g} after {len(t.reports)} epochs "
          f"in {t.duration:.1f}s {t.config}{extra}")


def _print_summary(result: SearchResult) -> None:
    try:
        from rich.console import Console
        Console().print(result.to_table())
    except ImportError:
        pass
    print(f"[tune] {result!r}; results in {result.run_dir}")


def random_search(train_fn: Callable, space: Mapping, trials: int = 20, metric: str = "val_loss",
                  mode: str = "min", executor: str | Executor = "local", max_workers: int | None = None,
                  run_dir: str | None = None, seed: int = 0, early_stopping=None, *, grace_period: int = 1,
                  reduction_factor: float = 3, address: str | None = None, resume: bool = True,
                  metrics: Sequence[str] | None = None, plots: bool = True, verbose: int = 1,
                  rerun_failed: bool = False, trial_timeout: float | None = None) -> SearchResult:
    """Try ``trials`` random configurations from ``space`` and rank them by ``metric``.

    Configuration ``i`` is the ``i``-th draw from ``Generator(seed)``, so the same
    seed regenerates the same configurations; trials already in
    ``<run_dir>/results.jsonl`` (same index and config) are skipped when resuming.

    Args:
        train_fn: ``train_fn(config, reporter)``; reports per epoch with ``reporter(epoch=e, **metrics)``
            and may return final metrics. Must be a module-level function for ``executor="local"``.
        space: a dict of domains (:func:`log_uniform`, ...) and constants.
        trials: how many configurations to try.
        metric: the metric to rank by; it must be in the first report (or in ``metrics``).
        mode: ``"min"`` (losses) or ``"max"`` (accuracies).
        executor: ``"local"`` (worker processes), ``"serial"`` (this process), ``"ray"``, or an
            :class:`~gradkit.tune.executors.Executor`.
        max_workers: concurrent trials (default: one per CPU core; for Ray, the cluster's CPUs).
        run_dir: the run folder for ``results.jsonl``, ``search.json`` and plots (default: a new temp folder).
        seed: seed of the configurations.
        early_stopping: ``None`` or ``"successive_halving"`` (or a :class:`SuccessiveHalving`) to stop bad
            trials at rungs ``grace_period * reduction_factor**k`` epochs; stopped trials are recorded as
            ``"stopped"``.
        grace_period: epochs before a trial can be stopped.
        reduction_factor: keep the best ``1 / reduction_factor`` at each rung.
        address: Ray cluster address for ``executor="ray"`` (``None``: start a local Ray).
        resume: reuse finished trials recorded in the run folder (``False`` moves old results aside).
        metrics: names ``train_fn`` reports, to check ``metric`` before any trial starts.
        plots: save ``<metric>_vs_<param>.png`` plots in the run folder (needs matplotlib).
        verbose: 0 silent, 1 a line per trial and a final table.
        rerun_failed: when resuming, run failed (and timed-out) trials again.
        trial_timeout: seconds a trial may run; one that runs longer is ended and recorded with
            status ``"timeout"`` (a timer in the trial's process; the local and Ray executors also end
            a trial's process that outlives twice the limit, e.g. stuck in C code).

    Returns:
        SearchResult: ``.best``, ``.best_config``, ``.trials``, ``.to_table()``, ``.plot()``.

    Raises:
        ValueError: for a bad space, bad arguments, or an unknown metric (before any trial, or when the
            first report lacks it). TypeError: for a ``train_fn`` the executor cannot ship to workers.
        ImportError: for ``executor="ray"`` without Ray installed.
    """
    return _search(train_fn, space, rounds=1, trials_per_round=trials, zoom=1.0, top_k=1, metric=metric,
                   mode=mode, executor=executor, max_workers=max_workers, address=address, run_dir=run_dir,
                   seed=seed, early_stopping=early_stopping, grace_period=grace_period,
                   reduction_factor=reduction_factor, resume=resume, metrics=metrics, plots=plots,
                   verbose=verbose, rerun_failed=rerun_failed, kind="random", trial_timeout=trial_timeout)


def coarse_to_fine(train_fn: Callable, space: Mapping, rounds: int = 3, trials_per_round: int = 10,
                   zoom: float = 0.5, top_k: int = 3, *, metric: str = "val_loss", mode: str = "min",
                   executor: str | Executor = "local", max_workers: int | None = None, run_dir: str | None = None,
                   seed: int = 0, early_stopping=None, grace_period: int = 1, reduction_factor: float = 3,
                   address: str | None = None, resume: bool = True, metrics: Sequence[str] | None = None,
                   plots: bool = True, verbose: int = 1, rerun_failed: bool = False,
                   trial_timeout: float | None = None) -> SearchResult:
    """Random search in rounds, each round zoomed around the best trials so far.

    After each round every range is narrowed to ``zoom`` times its width, in the
    hyperparameter's own scale (log10 for :func:`log_uniform`, ``log10(1-x)`` for
    :func:`one_minus_log_uniform`, log2 for :func:`powers_of_two`), centred on the
    mean of the ``top_k`` best trials so far and kept inside the previous range;
    a :func:`choice` keeps only the options among those trials (see :func:`zoom_space`).

    Args:
        train_fn: as in :func:`random_search`.
        space: the coarse space.
        rounds: number of rounds.
        trials_per_round: random trials per round.
        zoom: width kept per round, in (0, 1].
        top_k: how many of the best trials the next range is centred on.
        others: ``metric``, ``mode``, ``executor``, ``max_workers``, ``run_dir``, ``seed``,
            ``early_stopping``, ``grace_period``, ``reduction_factor``, ``address``, ``resume``,
            ``metrics``, ``plots``, ``verbose``, ``rerun_failed``, ``trial_timeout``: as in
            :func:`random_search`.

    Returns:
        SearchResult: all rounds' trials; ``.spaces`` holds the space of each round.

    Raises:
        ValueError / TypeError / ImportError: as :func:`random_search`, before any trial starts.

    Examples:
        >>> import gradkit as gk
        >>> def f(config, reporter):
        ...     return {"loss": (config["x"] - 0.7) ** 2}
        >>> res = gk.tune.coarse_to_fine(f, {"x": gk.tune.uniform(0, 1)}, rounds=2, trials_per_round=5,
        ...                              metric="loss", executor="serial", plots=False, verbose=0)
        >>> res.spaces[1]["x"].high - res.spaces[1]["x"].low
        0.5
    """
    return _search(train_fn, space, rounds=rounds, trials_per_round=trials_per_round, zoom=zoom, top_k=top_k,
                   metric=metric, mode=mode, executor=executor, max_workers=max_workers, address=address,
                   run_dir=run_dir, seed=seed, early_stopping=early_stopping, grace_period=grace_period,
                   reduction_factor=reduction_factor, resume=resume, metrics=metrics, plots=plots,
                   verbose=verbose, rerun_failed=rerun_failed, kind="coarse_to_fine", trial_timeout=trial_timeout)
