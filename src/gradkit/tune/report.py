"""A table of the best trials (rich) and plots of the metric against each hyperparameter (matplotlib).

Both libraries are imported inside the functions, so ``import gradkit.tune``
stays light. Plots use each hyperparameter's scale for the x-axis: log for
:func:`~gradkit.tune.log_uniform`, base-2 log for
:func:`~gradkit.tune.powers_of_two`, logit (which spreads values near 1) for
:func:`~gradkit.tune.one_minus_log_uniform`, categories for
:func:`~gradkit.tune.choice`.
"""

from __future__ import annotations

import math
import os
import re

from .space import Domain

__all__ = ["results_table", "plot_results"]


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def results_table(result, k: int = 10, title: str | None = None):
    """The ``k`` best trials of ``result`` as a :class:`rich.table.Table`.

    Columns: rank, trial id, status, the metric, each searched hyperparameter
    (constants are left out), the number of per-epoch reports, and seconds.

    Args:
        result: a :class:`~gradkit.tune.SearchResult`.
        k: rows to show.
        title: table title (default names the metric and the counts).

    Returns:
        rich.table.Table
    """
    from rich.table import Table

    ranked = result.ranked(include_stopped=True)[:k]
    if result.space:
        params = [p for p, d in result.space.items() if isinstance(d, Domain)]
    else:
        params = sorted({p for t in result.trials for p in t.config})
    title = title or (f"best {len(ranked)} of {len(result.trials)} trials by {result.metric} ({result.mode}); "
                      f"{len(result.failed)} failed, {len(result.stopped)} stopped")
    table = Table(title=title)
    for col in ("rank", "trial", "status", result.metric, *params, "reports", "time (s)"):
        table.add_column(col, justify="left" if col in ("trial", "status") else "right")
    for i, t in enumerate(ranked, 1):
        table.add_row(str(i), t.trial_id, t.status, _fmt(t.value), *(_fmt(t.config.get(p, "")) for p in params),
                      str(len(t.reports)), f"{t.duration:.1f}")
    return table


_AXIS = {"log": ("log", {}), "log2": ("log", {"base": 2}), "one_minus_log": ("logit", {})}


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def plot_results(result, directory: str | None) -> list[str]:
    """Save one scatter plot per searched hyperparameter: ``<metric>_vs_<param>.png``.

    Completed trials are filled circles (the best one a star), stopped trials
    hollow; failed trials have no value and are left out.

    Args:
        result: a :class:`~gradkit.tune.SearchResult`.
        directory: the folder to save into (created if missing).

    Returns:
        list[str]: the saved paths.

    Raises:
        ValueError: when ``directory`` is None.
    """
    if directory is None:
        raise ValueError("plot_results needs a directory to save the PNG files into")
    from ..train.plots import new_figure

    os.makedirs(directory, exist_ok=True)
    space = result.space or {}
    params = [p for p, d in space.items() if isinstance(d, Domain)] if space else \
        sorted({p for t in result.trials for p in t.config})
    best = result.best
    paths = []
    for p in params:
        dom = space.get(p)
        fig, ax = new_figure(figsize=(5, 3.6))
        categorical = dom is not None and dom.scale == "categorical"
        cats = [str(o) for o in dom.options] if categorical else None
        for status, style in (("completed", dict(marker="o", alpha=0.8)),
                              ("stopped", dict(marker="o", facecolors="none", edgecolors="tab:gray"))):
            pts = [(t.config[p], t.value) for t in result.trials
                   if t.status == status and p in t.config and math.isfinite(t.value)]
            if not pts:
                continue
            xs = [cats.index(str(x)) if categorical and str(x) in cats else x for x, _ in pts]
            ax.scatter(xs, [y for _, y in pts], label=status, **style)
        if best is not None and p in best.config:
            bx = cats.index(str(best.config[p])) if categorical and str(best.config[p]) in cats else best.config[p]
            ax.scatter([bx], [best.value], marker="*", s=200, color="tab:red", label="best", zorder=3)
        if categorical:
            ax.set_xticks(range(len(cats)), cats)
        elif dom is not None and dom.scale in _AXIS:
            scale, kw = _AXIS[dom.scale]
            ax.set_xscale(scale, **kw)
        ax.set_xlabel(p + ("" if dom is None else f" ({dom.scale} scale)"))
        ax.set_ylabel(result.metric)
        ax.set_title(f"{result.metric} vs {p}")
        ax.legend(fontsize="small")
        fig.tight_layout()
        path = os.path.join(directory, f"{_safe(result.metric)}_vs_{_safe(p)}.png")
        fig.savefig(path, dpi=100)
        paths.append(path)
    return paths
