"""``minimize()``: run an optimizer on a cost function, as TensorFlow's ``optimizer.minimize``."""

from __future__ import annotations

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .optimizer import Optimizer


def minimize(cost_fn, params, optimizer, steps: int = 1) -> Tensor:
    """Minimise ``cost_fn()`` over ``params`` by ``steps`` optimizer steps.

    Each step clears the gradients, evaluates the cost, back-propagates and updates (the
    GradientTape loop of the course notes). Optimizers that need a closure (LBFGS, Newton)
    get one: for LBFGS it does the backward pass, for Newton it only returns the cost.

    Args:
        cost_fn: a function of no arguments returning a scalar Tensor built from ``params``.
        params: the tensors to optimise (they must be in ``optimizer``'s groups).
        optimizer: an :class:`Optimizer` instance, or a factory called as ``optimizer(params)``
            (a class or ``functools.partial``).
        steps: number of optimizer steps (>= 1).

    Returns:
        The cost at the final parameters, as a 0-d Tensor without graph.

    Raises:
        ValueError: for ``steps < 1``, an empty ``params``, or a parameter the optimizer does not hold.
        TypeError: when ``cost_fn`` is not callable or returns a non-scalar.

    Examples:
        >>> import gradkit as gk
        >>> w = gk.tensor(0.0, requires_grad=True)
        >>> cost = gk.optim.minimize(lambda: w ** 2 - 10 * w + 25, [w], gk.optim.Adam([w], lr=0.1), steps=1000)
        >>> round(w.item(), 3), round(cost.item(), 4)
        (5.0, 0.0)
    """
    if not callable(cost_fn):
        raise TypeError(f"minimize: cost_fn must be a function of no arguments, got {type(cost_fn).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"minimize: steps must be a positive integer, got {steps!r}")
    params = [params] if isinstance(params, Tensor) else list(params)
    if not params:
        raise ValueError("minimize: params is empty; pass the tensors to optimise")
    if not isinstance(optimizer, Optimizer):
        optimizer = optimizer(params)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"minimize: optimizer must be an Optimizer or a factory of one, got {type(optimizer).__name__}")
    held = {id(p) for g in optimizer.param_groups for p in g["params"]}
    for i, p in enumerate(params):
        if id(p) not in held:
            raise ValueError(f"minimize: params[{i}] (shape {tuple(p.shape)}) is not in the optimizer's param groups")

    def cost():
        c = cost_fn()
        if not isinstance(c, Tensor) or c.array.size != 1:
            raise TypeError(
                f"minimize: cost_fn must return a scalar Tensor, got "
                f"{type(c).__name__ if not isinstance(c, Tensor) else 'shape ' + str(tuple(c.shape))}"
            )
        return c

    wants_closure = getattr(optimizer, "closure_calls_backward", None)
    for _ in range(steps):
        if wants_closure is None:
            optimizer.zero_grad()
            c = cost()
            c.backward()
            optimizer.step()
        elif wants_closure:
            def closure():
                optimizer.zero_grad()
                c = cost()
                c.backward()
                return c

            optimizer.step(closure)
        else:
            optimizer.step(cost)
    with no_grad():
        return cost().detach()
