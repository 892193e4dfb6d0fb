"""webpush-iac: declarative config-as-code for EngageLab Push scheduled tasks, tags and aliases.

The top level is deliberately lean: ``__version__``, the whole exception tree of
:mod:`webpush_iac.errors` (drawn in its docstring) and :class:`~webpush_iac.errors.Problem`, the
record a :class:`ManifestError` carries, so a caller can ``except webpush_iac.WebpushIacError``
without knowing which stage raised. Each stage is used through its own facade::

    from webpush_iac.manifest import load                  # files -> DesiredState
    from webpush_iac.client import Credentials, EngageLabClient
    from webpush_iac.live import read_live                 # client -> LiveState
    from webpush_iac.plan import Plan, diff                # desired x live x now -> Plan
    from webpush_iac.apply import apply_plan               # Plan -> ApplyResult
    from webpush_iac.render import render_plan

Why not re-export those here: every ``import webpush_iac.<anything>`` runs this file first, the
emulator and ``python -m webpush_iac`` included. Importing the stages here would load pydantic,
ruamel, jinja2, deepdiff and httpx for every one of them (about 230 ms instead of about 10 ms),
and would close import cycles, since the stages themselves import ``webpush_iac`` (the client
reads ``__version__`` for its User-Agent). ``tests/test_architecture.py`` holds this list and
checks that importing the package loads nothing beyond :mod:`webpush_iac.errors`.
"""

from webpush_iac.errors import (
    AmbiguousWriteError,
    ApiError,
    ApplyCancelled,
    ApplyFailedError,
    ApplyLockedError,
    AuthError,
    ClientError,
    ConfigError,
    Interrupted,
    InvalidPlanError,
    JournalError,
    ManifestError,
    NoAnswerError,
    NotFoundError,
    PlanError,
    Problem,
    RateLimitedError,
    ReadOnlyViolation,
    SafetyError,
    ServerError,
    StalePlanError,
    TransportError,
    WebpushIacError,
)

__version__ = "0.1.0"

__all__ = [
    "AmbiguousWriteError",
    "ApiError",
    "ApplyCancelled",
    "ApplyFailedError",
    "ApplyLockedError",
    "AuthError",
    "ClientError",
    "ConfigError",
    "Interrupted",
    "InvalidPlanError",
    "JournalError",
    "ManifestError",
    "NoAnswerError",
    "NotFoundError",
    "PlanError",
    "Problem",
    "RateLimitedError",
    "ReadOnlyViolation",
    "SafetyError",
    "ServerError",
    "StalePlanError",
    "TransportError",
    "WebpushIacError",
    "__version__",
]
