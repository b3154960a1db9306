"""Training: the ``fit`` loop, callbacks, metrics, history and plots (Keras-like)."""

from . import callbacks, metrics  # noqa: F401
from .callbacks import (  # noqa: F401
    Callback, CSVLogger, EarlyStopping, LambdaCallback, LearningRateScheduler, ModelCheckpoint, ProgressBar,
    TerminateOnNaN,
)
from .history import History  # noqa: F401
from .loop import Trainer, evaluate, fit, predict  # noqa: F401
from .plots import plot_confusion_matrix, plot_history  # noqa: F401
from .tensorboard import TensorBoard  # noqa: F401
from .transfer import GradualUnfreezing, param_groups_for_finetuning, replace_head, trainable_parameters  # noqa: F401
