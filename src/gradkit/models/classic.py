"""Classic models: the Perceptron, logistic regression, MLPs, RBF networks, SELU networks.

Examples:
    >>> import numpy as np, gradkit as gk
    >>> X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])
    >>> p = gk.models.Perceptron(2)
    >>> p.fit(X, np.array([0, 0, 0, 1])).converged          # AND is linearly separable
    True
    >>> p.predict(X).tolist()
    [0, 0, 0, 1]
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._init import apply_init
from .. import nn
from ..autograd.grad_mode import no_grad
from .. import ops
from ..backend import is_cupy_array, to_numpy
from ..random import get_generator
from ..tensor import Tensor
from ..nn.layers import _columns_hint
from ..nn.module import Module, Parameter

__all__ = ["Perceptron", "PerceptronResult", "ConvergenceWarning", "LogisticRegression", "MLP", "RBFNetwork",
           "SelfNormalizingNet"]


class ConvergenceWarning(UserWarning):
    """Warned when an iterative fit stops without converging."""


def _as_numpy(X):
    if isinstance(X, Tensor):
        return X.numpy()
    return np.asarray(to_numpy(X) if is_cupy_array(X) else X)


# ---------------------------------------------------------------------------- Perceptron
@dataclass
class PerceptronResult:
    """What :meth:`Perceptron.fit` found.

    Attributes:
        converged: True when an epoch passed with no mistake (the data were separated).
        epochs: the number of epochs run.
        mistakes: the number of misclassified samples (updates) in each epoch.
    """

    converged: bool
    epochs: int
    mistakes: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.converged


class Perceptron(Module):
    """Rosenblatt's perceptron (1958): a linear threshold unit with its own learning rule.

    Prediction: ``y_hat = +1 if w.x + b > 0 else -1`` (reported as the label
    encoding seen by ``fit``: {0, 1} or {-1, +1}). Learning rule, one sample at a time:
    on a mistake (``y (w.x + b) <= 0``, with ``y`` in {-1, +1})::

        w <- w + lr * y * x,     b <- b + lr * y

    By Novikoff's theorem (1962) the rule converges after at most ``(R / gamma)^2``
    mistakes when the data are linearly separable with margin ``gamma`` (``R`` the
    largest input norm); otherwise (e.g. XOR) it never stops making mistakes, and
    ``fit`` reports ``converged=False`` with a :class:`ConvergenceWarning`.

    Args:
        in_features: the input size.

    Attributes:
        weight: Parameter ``(1, in_features)``, initialized to 0.
        bias: Parameter ``(1,)``, initialized to 0.
        classes: buffer ``[negative_label, positive_label]`` set by ``fit`` ([0, 1] by default).

    Examples:
        >>> import numpy as np, warnings, gradkit as gk
        >>> X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     gk.models.Perceptron(2).fit(X, np.array([0, 1, 1, 0]), epochs=20).converged   # XOR
        False
    """

    def __init__(self, in_features: int):
        super().__init__()
        self.in_features = int(in_features)
        self.weight = Parameter(np.zeros((1, self.in_features), dtype=np.float32))
        self.bias = Parameter(np.zeros((1,), dtype=np.float32))
        self.register_buffer("classes", Tensor(np.array([0, 1], dtype=np.int64)))

    def forward(self, x):
        """The scores ``w.x + b``, shape ``(N,)``."""
        if not isinstance(x, Tensor):
            x = Tensor(np.asarray(x, dtype=self.weight.dtype))
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"Perceptron(in_features={self.in_features}) expected input (N, {self.in_features}), "
                f"got shape {tuple(x.shape)}{_columns_hint(x.shape, self.in_features)}"
            )
        return ops.linear(x, self.weight, self.bias).reshape(-1)

    def predict(self, X) -> np.ndarray:
        """Class labels for ``X`` in the encoding given to ``fit`` ({0, 1} by default)."""
        with no_grad():
            s = self.forward(X).numpy()
        neg, pos = (int(v) for v in self.classes.numpy())
        return np.where(s > 0, pos, neg)

    def fit(self, X, y, epochs: int = 100, lr: float = 1.0, shuffle: bool = True, generator=None) -> PerceptronResult:
        """Train with the perceptron rule until an epoch has no mistake or ``epochs`` run out.

        Args:
            X: inputs ``(N, in_features)`` (array or Tensor).
            y: labels ``(N,)``, two classes: {0, 1} or {-1, +1} (or bools).
            epochs: the maximum number of passes over the data.
            lr: the learning rate (any positive value gives the same decisions from w = 0).
            shuffle: visit samples in a fresh random order each epoch.
            generator: optional :class:`gradkit.Generator` for the shuffling.

        Returns:
            A :class:`PerceptronResult`; a :class:`ConvergenceWarning` is warned when it did
            not converge (the data are probably not linearly separable).

        Raises:
            ValueError: for mismatched shapes or labels outside two classes.
        """
        X = _as_numpy(X).astype(self.weight.dtype, copy=False)
        y = _as_numpy(y).reshape(-1)
        if X.ndim != 2 or X.shape[1] != self.in_features:
            raise ValueError(f"Perceptron.fit expected X of shape (N, {self.in_features}), got {X.shape}"
                             f"{_columns_hint(X.shape, self.in_features)}")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"Perceptron.fit got {X.shape[0]} samples in X but {y.shape[0]} labels in y")
        values = set(np.unique(y).tolist())
        if values <= {0, 1}:
            labels, t = (0, 1), np.where(y == 1, 1.0, -1.0)
        elif values <= {-1, 1}:
            labels, t = (-1, 1), y.astype(np.float64)
        else:
            raise ValueError(f"Perceptron.fit needs labels in {{0, 1}} or {{-1, +1}}, got values {sorted(values)}")
        self.classes.array[...] = labels
        w = self.weight.array.reshape(-1).astype(np.float64)
        b = float(self.bias.array[0])
        rng = get_generator(generator)
        mistakes_per_epoch = []
        converged = False
        for _ in range(int(epochs)):
            order = rng.permutation(X.shape[0]) if shuffle else np.arange(X.shape[0])
            mistakes = 0
            for i in order:
                if t[i] * (X[i] @ w + b) <= 0:
                    w += lr * t[i] * X[i]
                    b += lr * t[i]
                    mistakes += 1
            mistakes_per_epoch.append(mistakes)
            if mistakes == 0:
                converged = True
                break
        with no_grad():
            self.weight.array[...] = w.reshape(1, -1)
            self.bias.array[...] = b
        result = PerceptronResult(converged, len(mistakes_per_epoch), mistakes_per_epoch)
        if not converged:
            warnings.warn(
                f"Perceptron did not converge in {epochs} epochs ({mistakes_per_epoch[-1] if mistakes_per_epoch else 0} "
                "mistakes in the last one): the data are probably not linearly separable",
                ConvergenceWarning,
                stacklevel=2,
            )
        return result

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}"


# ---------------------------------------------------------------------------- logistic regression
class LogisticRegression(Module):
    """Logistic (``num_classes=1``) or softmax (``num_classes >= 2``) regression: one Linear layer.

    ``forward`` returns logits; train it with ``BCEWithLogitsLoss`` (binary) or
    ``CrossEntropyLoss`` (multi-class). ``predict_proba`` applies the sigmoid/softmax.

    Args:
        in_features: the input size.
        num_classes: 1 for binary logistic regression, else the number of classes.
        init: weight initialisation of the Linear and convolution layers: ``"torch"``
            (default, PyTorch's), ``"he"``, ``"xavier"``, ``"lecun"`` or ``"zeros"``
            (biases 0 for all but ``"torch"``; see :class:`MLP`).

    Examples:
        >>> import gradkit as gk
        >>> m = gk.models.LogisticRegression(3)
        >>> m.predict_proba(gk.zeros(2, 3)).shape
        (2,)
    """

    def __init__(self, in_features: int, num_classes: int = 1, init: str = "torch"):
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"LogisticRegression needs num_classes >= 1, got {num_classes}")
        self.num_classes = int(num_classes)
        self.linear = nn.Linear(in_features, num_classes)
        apply_init(self, init, "LogisticRegression")

    def forward(self, x):
        out = self.linear(x)
        return out.reshape(-1) if self.num_classes == 1 else out

    def predict_proba(self, x):
        """Probabilities: ``(N,)`` P(class 1) for binary, ``(N, C)`` softmax otherwise."""
        with no_grad():
            z = self.forward(x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=self.linear.weight.dtype)))
            if self.num_classes == 1:
                return z.sigmoid()
            return nn.functional.softmax(z, dim=-1)

    def predict(self, x) -> np.ndarray:
        """Class labels: ``p > 0.5`` for binary, the argmax otherwise."""
        p = self.predict_proba(x).numpy()
        return (p > 0.5).astype(np.int64) if self.num_classes == 1 else p.argmax(-1)


# ---------------------------------------------------------------------------- MLP
_ACTIVATIONS = {
    "relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "selu": "SELU", "elu": "ELU", "gelu": "GELU",
    "leaky_relu": "LeakyReLU", "leakyrelu": "LeakyReLU", "softplus": "Softplus", "prelu": "PReLU",
    "identity": "Identity", "linear": "Identity",
}


def _make_activation(activation):
    if isinstance(activation, str):
        cls_name = _ACTIVATIONS.get(activation.lower())
        if cls_name is None or not hasattr(nn, cls_name):
            raise ValueError(f"unknown activation {activation!r}; expected one of {sorted(_ACTIVATIONS)}")
        return getattr(nn, cls_name)()
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation()
    raise TypeError(f"activation must be a name such as 'relu' or a Module class, got {activation!r}")


class MLP(nn.Sequential):
    """A multilayer perceptron: ``Linear -> [BatchNorm1d] -> activation -> [Dropout]`` per hidden layer.

    The last layer is a plain ``Linear`` (logits / regression outputs). It is a
    ``Sequential``, so ``mlp[0]`` is the first Linear and state_dict keys are ``"0.weight"``...

    Args:
        sizes: layer widths ``[in_features, hidden_1, ..., out_features]`` (at least 2).
        activation: a name (``'relu'``, ``'tanh'``, ``'sigmoid'``, ``'selu'``, ``'elu'``,
            ``'gelu'``, ``'leaky_relu'``, ``'softplus'``) or a Module class.
        dropout: drop probability after each hidden activation (0 disables).
        batchnorm: insert ``BatchNorm1d`` after each hidden Linear.
        init: the initialisation of every Linear (biases 0 for all but ``"torch"``):

            * ``"torch"`` (default): PyTorch's ``Linear`` default, unchanged (no extra draw);
            * ``"he"``: ``W ~ N(0, 2 / n_in)``, ``kaiming_normal_`` with fan_in and ReLU's
              gain (He et al., 2015);
            * ``"xavier"``: ``W ~ N(0, 2 / (n_in + n_out))``, ``xavier_normal_`` (Glorot &
              Bengio, 2010);
            * ``"lecun"``: ``W ~ N(0, 1 / n_in)``, ``lecun_normal_`` (LeCun et al., 1998); this
              is what the course calls "Xavier initialization" for tanh layers;
            * ``"zeros"``: every weight 0 (the units never become different: symmetry).

    Raises:
        ValueError: for fewer than two sizes, an unknown activation or an unknown init.

    Examples:
        >>> import gradkit as gk
        >>> gk.models.MLP([2, 8, 1], activation="tanh", batchnorm=True)
        MLP(
          (0): Linear(in_features=2, out_features=8, bias=True)
          (1): BatchNorm1d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
          (2): Tanh()
          (3): Linear(in_features=8, out_features=1, bias=True)
        )
    """

    get_config = Module.get_config

    def __init__(self, sizes, activation="relu", dropout: float = 0.0, batchnorm: bool = False, init: str = "torch"):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP needs at least [in_features, out_features], got sizes={sizes}")
        layers = []
        for i in range(len(sizes) - 2):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if batchnorm:
                layers.append(nn.BatchNorm1d(sizes[i + 1]))
            layers.append(_make_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(sizes[-2], sizes[-1]))
        super().__init__(*layers)
        self.sizes = sizes
        apply_init(self, init, "MLP")


# ---------------------------------------------------------------------------- RBF network
class RBFNetwork(Module):
    """A radial-basis-function network: Gaussian ``RBF`` units then a ``Linear`` read-out.

    ``y = W phi(x) + b`` with ``phi_j(x) = exp(-||x - c_j||^2 / (2 sigma_j^2))``
    (Broomhead & Lowe, 1988). Centres and widths are learnable; :meth:`init_centres`
    places the centres on training samples first (the classic recipe), which trains
    much faster than random centres.

    Args:
        in_features: the input size.
        num_centres: the number of Gaussian units.
        out_features: the output size.
        sigma: the initial width of every unit.
        init: weight initialisation of the Linear and convolution layers: ``"torch"``
            (default, PyTorch's), ``"he"``, ``"xavier"``, ``"lecun"`` or ``"zeros"``
            (biases 0 for all but ``"torch"``; see :class:`MLP`).

    Examples:
        >>> import gradkit as gk
        >>> net = gk.models.RBFNetwork(2, 10, 1)
        >>> net(gk.zeros(4, 2)).shape
        (4, 1)
    """

    def __init__(self, in_features: int, num_centres: int, out_features: int, sigma: float = 1.0,
                 init: str = "torch"):
        super().__init__()
        self.rbf = nn.RBF(in_features, num_centres, sigma=sigma)
        self.linear = nn.Linear(num_centres, out_features)
        apply_init(self, init, "RBFNetwork")

    def forward(self, x):
        return self.linear(self.rbf(x))

    def init_centres(self, X, set_width: bool = True, generator=None) -> "RBFNetwork":
        """Put the centres on randomly chosen rows of ``X`` (and set a common width).

        Args:
            X: training inputs ``(N, in_features)``.
            set_width: set every sigma to ``d_max / sqrt(2 k)`` (``d_max`` the largest
                distance between chosen centres, ``k`` their number), Haykin's heuristic.
            generator: optional :class:`gradkit.Generator`.

        Returns:
            self.
        """
        X = _as_numpy(X)
        k = self.rbf.out_features
        if X.ndim != 2 or X.shape[1] != self.rbf.in_features:
            raise ValueError(f"init_centres expected X of shape (N, {self.rbf.in_features}), got {X.shape}"
                             f"{_columns_hint(X.shape, self.rbf.in_features)}")
        idx = get_generator(generator).choice(X.shape[0], size=k, replace=X.shape[0] < k)
        c = X[idx].astype(np.float64)
        with no_grad():
            self.rbf.centres.array[...] = c.astype(self.rbf.centres.dtype)
            if set_width and k > 1:
                d = np.sqrt(((c[:, None, :] - c[None, :, :]) ** 2).sum(-1)).max()
                if d > 0:
                    self.rbf.log_sigma.array[...] = math.log(d / math.sqrt(2 * k))
        return self


# ---------------------------------------------------------------------------- SELU network
class SelfNormalizingNet(nn.Sequential):
    """A self-normalizing network (Klambauer et al., 2017): ``Linear -> SELU -> [AlphaDropout]`` blocks.

    With SELU activations, LeCun-normal weights (``Var(W) = 1 / fan_in``) and zero
    biases, activations are driven towards mean 0 and variance 1 layer after layer, so
    deep plain stacks train without batch norm. ``AlphaDropout`` keeps that fixed point.

    Args:
        in_features: the input size.
        hidden_features: the width of every hidden layer.
        num_layers: the number of hidden (SELU) layers.
        out_features: the output size.
        dropout: AlphaDropout probability after each SELU (0 disables).

    Examples:
        >>> import gradkit as gk
        >>> net = gk.models.SelfNormalizingNet(8, 32, 3, 2, dropout=0.05)
        >>> net(gk.randn(5, 8)).shape
        (5, 2)
    """

    get_config = Module.get_config

    def __init__(self, in_features: int, hidden_features: int, num_layers: int, out_features: int,
                 dropout: float = 0.0):
        if num_layers < 0:
            raise ValueError(f"SelfNormalizingNet needs num_layers >= 0, got {num_layers}")
        layers = []
        width = in_features
        for _ in range(num_layers):
            layers.append(self._linear(width, hidden_features))
            layers.append(nn.SELU())
            if dropout > 0:
                layers.append(nn.AlphaDropout(dropout))
            width = hidden_features
        layers.append(self._linear(width, out_features))
        super().__init__(*layers)

    @staticmethod
    def _linear(n_in, n_out):
        lin = nn.Linear(n_in, n_out)
        nn.init.lecun_normal_(lin.weight)
        nn.init.zeros_(lin.bias)
        return lin
