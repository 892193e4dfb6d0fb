"""webpush-iac: declarative config-as-code for EngageLab Web Push scheduled tasks, tags and aliases."""

from webpush_iac.errors import (
    ApiError,
    ApplyFailedError,
    ClientError,
    ConfigError,
    ManifestError,
    PlanError,
    SafetyError,
    StalePlanError,
    WebpushIacError,
)

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "ApplyFailedError",
    "ClientError",
    "ConfigError",
    "ManifestError",
    "PlanError",
    "SafetyError",
    "StalePlanError",
    "WebpushIacError",
    "__version__",
]
