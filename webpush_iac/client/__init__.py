"""The EngageLab boundary: the async API client, its HTTP policy, pacing and configuration.

httpx lives here and nowhere else: every transport or HTTP error is translated into
:mod:`webpush_iac.errors` types where it enters, so callers never see a third-party exception.
"""

from webpush_iac.client.config import (
    Credentials,
    check_base_url,
    credentials_from_env,
    is_loopback,
    resolve_base_url,
)
from webpush_iac.client.engagelab import ClientStats, EngageLabClient
from webpush_iac.client.ratelimit import TokenBucket, shared_bucket

__all__ = [
    "ClientStats",
    "Credentials",
    "EngageLabClient",
    "TokenBucket",
    "check_base_url",
    "credentials_from_env",
    "is_loopback",
    "resolve_base_url",
    "shared_bucket",
]
