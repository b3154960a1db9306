"""The ``init=`` option of the ready-made models: course initialisations by name.

=========  ===========================================================  ==================
name       weight distribution                                          torch function
=========  ===========================================================  ==================
"he"       ``N(0, 2 / n_in)`` (He et al., 2015; ReLU gain, fan_in)      ``kaiming_normal_``
"xavier"   ``N(0, 2 / (n_in + n_out))`` (Glorot & Bengio, 2010)         ``xavier_normal_``
"lecun"    ``N(0, 1 / n_in)`` (LeCun et al., 1998); the course's         ``lecun_normal_``
           "Xavier for tanh"
"zeros"    all weights 0 (the symmetry that never breaks: a lesson)      ``zeros_``
"torch"    the layers' own default (PyTorch's), left untouched          --
=========  ===========================================================  ==================

For every name but ``"torch"`` the biases are set to 0. The scheme is applied to each
``Linear`` and convolution (``n_in``/``n_out`` are the fans: ``in * kernel`` and
``out * kernel``); normalization, embedding and recurrent layers keep their own
initialisation. ``"torch"`` draws nothing, so a model built with it is bit-for-bit the
model built without the option.
"""

from __future__ import annotations

from .. import nn

INITS = ("torch", "he", "xavier", "lecun", "zeros")


def check_init(init, who: str) -> str:
    """Validate an ``init=`` name and return it.

    Raises:
        ValueError: for a name not in :data:`INITS`.
    """
    if not isinstance(init, str) or init not in INITS:
        raise ValueError(f"{who}: unknown init {init!r}; expected one of {', '.join(INITS)}")
    return init


def apply_init(module: nn.Module, init: str, who: str = "init") -> nn.Module:
    """Re-initialise the ``Linear`` and convolution layers of ``module`` with the scheme ``init``.

    Args:
        module: the model (its submodules are visited in registration order).
        init: one of :data:`INITS`.
        who: the name used in the error message.

    Returns:
        ``module``.
    """
    check_init(init, who)
    if init == "torch":
        return module
    for m in module.modules():
        if not isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            continue
        w = m.weight
        if init == "he":
            nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")
        elif init == "xavier":
            nn.init.xavier_normal_(w)
        elif init == "lecun":
            nn.init.lecun_normal_(w)
        else:
            nn.init.zeros_(w)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    return module
