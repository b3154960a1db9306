"""The practitioner's checks: gradient checking, bias/variance, training health, learning/capacity curves.

* :func:`gradcheck` / :func:`gradgradcheck`: numerical gradient checks of a function;
  :func:`gradcheck_model`: the seed procedure on a whole model, tensor by tensor and layer by layer.
* :func:`bias_variance` / :func:`bias_variance_from_history`: the verdict and the recipe.
* :func:`health_report` and the :class:`TrainingHealth` callback: vanishing/exploding
  gradients, dead ReLUs, saturated units, activation statistics.
* :func:`learning_curve` / :func:`capacity_curve`: error against data size and model size.
"""

from .bias_variance import BiasVarianceReport, bias_variance, bias_variance_from_history  # noqa: F401
from .curves import CurveResult, capacity_curve, learning_curve  # noqa: F401
from .gradcheck import GradcheckResult, GradcheckWarning, gradcheck, gradgradcheck, relative_error  # noqa: F401
from .health import HealthReport, HealthThresholds, HealthWarning, LayerHealth, TrainingHealth, health_report  # noqa: F401
from .model_check import LayerCheck, ModelGradcheckReport, ParamCheck, gradcheck_model  # noqa: F401

__all__ = [
    "gradcheck", "gradgradcheck", "relative_error", "GradcheckResult", "GradcheckWarning",
    "gradcheck_model", "ModelGradcheckReport", "ParamCheck", "LayerCheck",
    "bias_variance", "bias_variance_from_history", "BiasVarianceReport",
    "health_report", "HealthReport", "HealthThresholds", "HealthWarning", "LayerHealth", "TrainingHealth",
    "learning_curve", "capacity_curve", "CurveResult",
]
