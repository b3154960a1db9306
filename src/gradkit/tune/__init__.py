"""Hyperparameter search: spaces on the right scales, random and coarse-to-fine search, in parallel.

- Spaces (:mod:`gradkit.tune.space`): :func:`uniform`, :func:`log_uniform`, :func:`one_minus_log_uniform`,
  :func:`int_uniform`, :func:`choice`, :func:`powers_of_two`; a space is a dict of these and constants;
  :func:`default_space`, :func:`space_from_toml`.
- Search (:mod:`gradkit.tune.search`): :func:`random_search`, :func:`coarse_to_fine`, optional
  successive halving (:class:`SuccessiveHalving`).
- Executors (:mod:`gradkit.tune.executors`): ``"local"`` processes, ``"serial"``, ``"ray"``.
- Results (:mod:`gradkit.tune.results`): ``results.jsonl`` written as each trial ends (resumable),
  :class:`SearchResult` with ``best``, ``to_table()`` and ``plot()``.

Examples:
    >>> import gradkit as gk
    >>> space = {"lr": gk.tune.log_uniform(1e-4, 1.0), "batch_size": gk.tune.powers_of_two(16, 512)}
    >>> cfg = gk.tune.sample(space, seed=0)
    >>> sorted(cfg)
    ['batch_size', 'lr']
"""

from .executors import Executor, LocalExecutor, RayExecutor, SerialExecutor, get_executor
from .results import ResultsStore, SearchResult, Trial
from .schedulers import SuccessiveHalving
from .search import coarse_to_fine, random_search
from .space import (
    Choice, Domain, IntUniform, LogUniform, OneMinusLogUniform, PowersOfTwo, Uniform, choice, default_space,
    int_uniform, log_uniform, one_minus_log_uniform, powers_of_two, sample, sample_configs, space_from_dict,
    space_from_toml, space_to_dict, uniform, validate_space, zoom_space,
)
from .trial import Reporter, TrialStopped

__all__ = [
    "uniform", "log_uniform", "one_minus_log_uniform", "int_uniform", "choice", "powers_of_two",
    "Domain", "Uniform", "LogUniform", "OneMinusLogUniform", "IntUniform", "Choice", "PowersOfTwo",
    "sample", "sample_configs", "validate_space", "zoom_space", "space_to_dict", "space_from_dict",
    "space_from_toml", "default_space",
    "random_search", "coarse_to_fine", "SuccessiveHalving", "Reporter", "TrialStopped",
    "Executor", "SerialExecutor", "LocalExecutor", "RayExecutor", "get_executor",
    "SearchResult", "Trial", "ResultsStore",
]
