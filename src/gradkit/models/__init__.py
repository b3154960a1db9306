"""``gk.models``: classic ready-made models.

Examples:
    >>> import gradkit as gk
    >>> net = gk.models.MLP([4, 16, 3], activation="relu")
    >>> net(gk.zeros(2, 4)).shape
    (2, 3)
"""

from .classic import (  # noqa: F401
    MLP, ConvergenceWarning, LogisticRegression, Perceptron, PerceptronResult, RBFNetwork, SelfNormalizingNet,
)

__all__ = ["Perceptron", "PerceptronResult", "ConvergenceWarning", "LogisticRegression", "MLP", "RBFNetwork",
           "SelfNormalizingNet"]

from .cnn import MNIST1DCNN, BasicBlock, DigitsCNN, FullyConvNet, LeNet5, SmallResNet  # noqa: F401,E402

__all__ += ["LeNet5", "BasicBlock", "SmallResNet", "FullyConvNet", "MNIST1DCNN", "DigitsCNN"]

from .sequence import MNIST1DGRU, SequenceClassifier, SequenceTagger  # noqa: F401,E402

__all__ += ["SequenceClassifier", "SequenceTagger", "MNIST1DGRU"]
