"""L-BFGS with an optional strong-Wolfe line search (``torch.optim.LBFGS``'s algorithm)."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.grad_mode import no_grad
from ..backend import get_array_module, to_numpy
from .optimizer import Optimizer, _check_nonneg


def _cubic_min(x1, f1, g1, x2, f2, g2, bounds=None) -> float:
    """The minimiser of the cubic through (x1, f1, f'=g1) and (x2, f2, f'=g2), clipped to ``bounds``
    (Nocedal & Wright, "Numerical Optimization", eq. 3.59); the bounds' midpoint when it has none."""
    if bounds is None:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    else:
        lo, hi = bounds
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 * d1 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(disc)
    if x1 <= x2:
        xm = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        xm = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(xm, lo), hi)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Find a step ``t`` along ``d`` meeting the strong Wolfe conditions (Nocedal & Wright, Alg. 3.5/3.6).

    Sufficient decrease ``f(t) <= f + c1 t g.d`` and curvature ``|g(t).d| <= c2 |g.d|``: first
    bracket an interval by growing ``t`` (cubic extrapolation), then zoom into it (cubic
    interpolation, safeguarded to keep 10% away from the ends).

    Args:
        evaluate: ``evaluate(t) -> (loss, flat_grad)`` at ``x + t d`` (parameters are restored after).
        t: first trial step.
        d: search direction (flat array).
        f, g, gtd: loss, flat gradient and directional derivative at ``t = 0``.

    Returns:
        ``(loss, flat_grad, t, number_of_evaluations)`` at the chosen step.
    """
    d_norm = float(np.max(np.abs(to_numpy(d)))) if d.size else 0.0
    g = g.copy()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = float(g_new.dot(d))
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    it = 0
    bracket = bracket_f = bracket_g = bracket_gtd = None
    while it < max_ls:
        if f_new > f + c1 * t * gtd or (it > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g, bracket_gtd = [t], [f_new], [g_new], [gtd_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate: a cubic step kept within [t + 0.01 (t - t_prev), 10 t]
        t_next = _cubic_min(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new.copy(), gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new.dot(d))
        it += 1
    if it == max_ls:
        bracket, bracket_f, bracket_g, bracket_gtd = [0.0, t], [f, f_new], [g, g_new], [gtd, gtd_new]

    insufficient = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and it < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_min(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        hi_b, lo_b = max(bracket), min(bracket)
        margin = 0.1 * (hi_b - lo_b)
        if min(hi_b - t, t - lo_b) < margin:
            # too close to an end: step back inside unless the last try was already there
            if insufficient or t >= hi_b or t <= lo_b:
                t = hi_b - margin if abs(t - hi_b) < abs(t - lo_b) else lo_b + margin
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new.dot(d))
        it += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = t, f_new, g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low] = t, f_new, g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    r"""Limited-memory BFGS for full-batch problems (Nocedal, 1980; Liu & Nocedal, 1989), as
    ``torch.optim.LBFGS``.

    Each :meth:`step` runs up to ``max_iter`` iterations. The direction ``d = -H g`` comes from
    the two-loop recursion over the last ``history_size`` pairs ``s = x_{k+1} - x_k``,
    ``y = g_{k+1} - g_k`` (a pair is kept only when ``y.s > 1e-10``), starting from
    ``H_0 = (y.s / y.y) I``. The step is ``lr`` (the first one ``min(1, 1/|g|_1) lr``), or
    the result of a strong-Wolfe line search with cubic interpolation when
    ``line_search_fn="strong_wolfe"``. Iteration stops when ``max|g| <= tolerance_grad``,
    when the step or the loss change falls below ``tolerance_change``, or after ``max_eval``
    closure calls. All parameters must be in one group.

    Args:
        params: tensors (one group).
        lr: learning rate (default 1).
        max_iter: iterations per ``step()`` (default 20).
        max_eval: closure evaluations per ``step()`` (default ``max_iter * 5 // 4``).
        tolerance_grad: first-order optimality tolerance (default 1e-7).
        tolerance_change: tolerance on step and loss changes (default 1e-9).
        history_size: number of (s, y) pairs kept (default 100).
        line_search_fn: ``None`` or ``"strong_wolfe"``.

    Raises:
        ValueError: for a negative ``lr``, ``max_iter < 1``, an unknown ``line_search_fn``,
            more than one parameter group, or ``step()`` without a closure.

    Example:
        >>> import gradkit as gk
        >>> x = gk.tensor([3.0, -2.0], dtype="float64", requires_grad=True)
        >>> opt = gk.optim.LBFGS([x], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((x - 1.0) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> _ = opt.step(closure)
        >>> x.detach().numpy().round(6).tolist()
        [1.0, 1.0]
    """

    closure_calls_backward = True

    _raw_array_state = True

    def __init__(self, params, lr=1.0, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(
                f"LBFGS doesn't support per-parameter options (parameter groups): got {len(self.param_groups)} groups; "
                "pass one list of tensors"
            )
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups): it takes one group")
        super().add_param_group(param_group)

    def _validate_group(self, group):
        super()._validate_group(group)
        for name in ("max_iter", "max_eval", "history_size"):
            v = group[name]
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"invalid {name}: expected a positive integer, got {v!r}")
        _check_nonneg("tolerance_grad", group["tolerance_grad"])
        _check_nonneg("tolerance_change", group["tolerance_change"])
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"invalid line_search_fn: expected None or 'strong_wolfe', got {group['line_search_fn']!r}")

    # ------------------------------------------------------------------ flat views of the parameters
    def _flat_grad(self):
        parts = []
        for p in self._params:
            if p.grad is None:
                parts.append(get_array_module(p.array).zeros(p.array.size, dtype=p.array.dtype))
            else:
                parts.append(p.grad.array.reshape(-1))
        xp = get_array_module(parts[0])
        return xp.concatenate(parts) if len(parts) > 1 else parts[0].copy()

    def _add_to_params(self, t: float, d) -> None:
        k = 0
        for p in self._params:
            n = p.array.size
            p.array += (t * d[k:k + n]).reshape(p.array.shape).astype(p.array.dtype, copy=False)
            k += n

    def _clone_params(self):
        return [p.array.copy() for p in self._params]

    def _set_params(self, saved) -> None:
        for p, s in zip(self._params, saved):
            p.array[...] = s

    def _eval(self, closure) -> float:
        from ..autograd.grad_mode import enable_grad

        with enable_grad():
            return float(closure())

    # ------------------------------------------------------------------ step
    @no_grad()
    def step(self, closure=None):
        """Run up to ``max_iter`` L-BFGS iterations.

        One function on purpose (longer than the house's ~80 lines): it is L-BFGS in PyTorch's
        order (direction by the two-loop recursion, step length, line search, curvature-pair
        update, the stopping tests), and
        reading it straight through against the book is easier than chasing helpers that
        share a dozen local variables.

        Args:
            closure: required; clears the gradients, computes the loss, calls ``backward()``
                and returns the loss.

        Returns:
            The loss from the first closure call (as PyTorch).

        Raises:
            ValueError: when ``closure`` is missing.
        """
        if closure is None or not callable(closure):
            raise ValueError(
                "LBFGS.step() needs a closure: a function that calls optimizer.zero_grad(), computes the loss, "
                "calls loss.backward() and returns the loss"
            )
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search = group["history_size"], group["line_search_fn"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        from ..autograd.grad_mode import enable_grad

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        xp = get_array_module(flat_grad)
        if float(xp.max(xp.abs(flat_grad))) <= tol_grad:
            return orig_loss

        d = state.get("d")
        t = state.get("t")
        old_dirs = state.get("old_dirs")
        old_stps = state.get("old_stps")
        ro = state.get("ro")
        h_diag = state.get("H_diag")
        prev_flat_grad = state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y.dot(s))
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / float(y.dot(y))
                # two-loop recursion: d = -H g
                k = len(old_dirs)
                alphas = [0.0] * k
                q = -flat_grad
                for i in range(k - 1, -1, -1):
                    alphas[i] = float(old_stps[i].dot(q)) * ro[i]
                    q = q - alphas[i] * old_dirs[i]
                r = q * h_diag
                for i in range(k):
                    beta = float(old_dirs[i].dot(r)) * ro[i]
                    r = r + (alphas[i] - beta) * old_stps[i]
                d = r
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(xp.sum(xp.abs(flat_grad)))) * lr
            else:
                t = lr
            gtd = float(flat_grad.dot(d))
            if gtd > -tol_change:
                break

            ls_evals = 0
            if line_search == "strong_wolfe":
                x0 = self._clone_params()

                def evaluate(step_t, x0=x0, d=d):
                    self._add_to_params(step_t, d)
                    f_val = self._eval(closure)
                    g_val = self._flat_grad()
                    self._set_params(x0)
                    return f_val, g_val

                loss, flat_grad, t, ls_evals = _strong_wolfe(evaluate, t, d, loss, flat_grad, gtd)
                self._add_to_params(t, d)
                opt_cond = float(xp.max(xp.abs(flat_grad))) <= tol_grad
            else:
                self._add_to_params(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    loss = self._eval(closure)
                    flat_grad = self._flat_grad()
                    opt_cond = float(xp.max(xp.abs(flat_grad))) <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals

            if n_iter == max_iter or evals >= max_eval or opt_cond:
                break
            if float(xp.max(xp.abs(d * t))) <= tol_change:
                break
            if abs(loss - prev_loss) < tol_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    # ------------------------------------------------------------------ state dict (history as 2-D arrays)
    def _export_state(self, p, st):
        out = dict(st)
        n = sum(q.array.size for q in self._params)
        dtype = self._params[0].array.dtype
        for name in ("old_dirs", "old_stps"):
            if name in out:
                items = out[name]
                out[name] = np.stack([to_numpy(a) for a in items]) if items else np.zeros((0, n), dtype)
        if "ro" in out:
            out["ro"] = np.asarray(out["ro"], dtype=np.float64)
        for name in ("t", "H_diag", "prev_loss"):
            if name in out and out[name] is not None:
                out[name] = float(out[name])
        return out

    def _cast_state(self, p, name, value):
        if value is None or isinstance(value, (int, float, bool, str)):
            return value
        if isinstance(value, np.generic):
            return value.item()
        xp = get_array_module(p.array)
        arr = np.array(to_numpy(getattr(value, "data", value)), copy=True)
        if name != "ro" and arr.dtype.kind == "f":
            arr = arr.astype(p.array.dtype, copy=False)
        return xp.asarray(arr) if xp is not np else arr

    def _import_state(self, p, st):
        st = dict(st)
        for name in ("old_dirs", "old_stps"):
            if name in st:
                st[name] = [row.copy() for row in st[name]]
        if "ro" in st:
            st["ro"] = [float(v) for v in to_numpy(st["ro"])]
        for name in ("func_evals", "n_iter"):
            if name in st:
                st[name] = int(st[name])
        return st
