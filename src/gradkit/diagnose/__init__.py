"""The practitioner's checks: gradient checking, bias/variance, training health, learning/capacity curves.

* :func:`gradcheck` / :func:`gradgradcheck`: numerical gradient checks of a function;
  :func:`gradcheck_model`: the seed procedure on a whole model, tensor by tensor and layer by layer.
* :func:`bias_variance` / :func:`bias_variance_from_history`: the verdict and the recipe;
  :class:`BiasVarianceVerdict`: the same at the end of ``fit`` (a callback).
* :func:`health_report` and the :class:`TrainingHealth` callback: vanishing/exploding
  gradients, dead ReLUs, saturated units, activation statistics.
* :func:`plot_grad_flow` / :func:`plot_activations`: the gradient flow per weight and the
  activation histograms per layer, as pictures (and their numbers).
* :func:`learning_curve` / :func:`capacity_curve`: error against data size and model size.
"""

from .bias_variance import BiasVarianceReport, BiasVarianceVerdict, bias_variance, bias_variance_from_history
from .curves import CurveResult, capacity_curve, learning_curve
from .flow import ActivationStats, GradFlowRow, PlotResult, activation_stats, grad_flow, plot_activations, plot_grad_flow
from .gradcheck import (
    GradcheckResult,
    GradcheckWarning,
    gradcheck,
    gradgradcheck,
    relative_error,
)
from .health import (
    HealthReport,
    HealthThresholds,
    HealthWarning,
    LayerHealth,
    TrainingHealth,
    health_report,
)
from .model_check import LayerCheck, ModelGradcheckReport, ParamCheck, gradcheck_model

__all__ = [
    "ActivationStats",
    "GradFlowRow",
    "PlotResult",
    "activation_stats",
    "grad_flow",
    "plot_activations",
    "plot_grad_flow",
    "BiasVarianceReport",
    "BiasVarianceVerdict",
    "CurveResult",
    "GradcheckResult",
    "GradcheckWarning",
    "HealthReport",
    "HealthThresholds",
    "HealthWarning",
    "LayerCheck",
    "LayerHealth",
    "ModelGradcheckReport",
    "ParamCheck",
    "TrainingHealth",
    "bias_variance",
    "bias_variance_from_history",
    "capacity_curve",
    "gradcheck",
    "gradcheck_model",
    "gradgradcheck",
    "health_report",
    "learning_curve",
    "relative_error",
]
