"""The practitioner's checks: gradient checking (and, as they land, bias/variance and training health)."""

from .gradcheck import GradcheckResult, GradcheckWarning, gradcheck, gradgradcheck, relative_error  # noqa: F401
