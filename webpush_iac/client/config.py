"""Where the client connects and with which credentials (no httpx here, so it is cheap to import).

Base URLs live in ``apispec`` (docs/api-notes.md "Hosts and authentication"). ``product`` stays a
parameter because App Push uses the same v4 API on other hosts. A base URL override is allowed for
proxies and the emulator, but plain http only reaches loopback: Basic auth over http elsewhere
would send the master secret in clear text.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from webpush_iac.apispec import BASE_URLS, V4
from webpush_iac.errors import ConfigError
from webpush_iac.loopback import is_loopback


def check_base_url(url: str, *, in_process: bool = False) -> str:
    """Validate a base URL and return it normalised (no trailing slash, no trailing ``/v4``).

    A vendor overview printed the base URL with ``/v4`` while every path we send starts with
    ``/v4/``, so a pasted ``.../v4`` is stripped rather than doubled. ``in_process``: the URL only
    names an ASGI app called in this process, so no byte reaches a network and http is fine.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError as exc:
        raise ConfigError(f"base URL {url!r} is not a valid URL") from exc
    if parts.username is not None or parts.password is not None:
        # Never echo it: the user part may hold a secret.
        raise ConfigError(
            "base URL must not contain user information; credentials come from the environment"
        )
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"base URL {url!r} must be an absolute http(s) URL")
    if parts.query or parts.fragment:
        raise ConfigError(f"base URL {url!r} must not have a query or fragment")
    if parts.scheme == "http" and not in_process and not is_loopback(host):
        raise ConfigError(
            f"base URL {url!r} uses plain http to a non-loopback host; use https "
            "(http is only allowed for 127.0.0.0/8, ::1 and localhost)"
        )
    path = parts.path.rstrip("/")
    if path.endswith(V4):
        path = path[: -len(V4)].rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}"


def resolve_base_url(region: str, product: str = "web", override: str | None = None) -> str:
    """The base URL for a region of a product, or the checked override when one is given."""
    if override:
        return check_base_url(override)
    regions = BASE_URLS.get(product)
    if regions is None:
        raise ConfigError(f"unknown product {product!r}; valid: {', '.join(sorted(BASE_URLS))}")
    url = regions.get(region.strip().lower())
    if url is None:
        raise ConfigError(
            f"unknown {product} push region {region!r}; valid: {', '.join(sorted(regions))}"
        )
    return url


@dataclass(frozen=True)
class Credentials:
    """An AppKey and its master secret; the secret is left out of ``repr`` and ``str``."""

    app_key: str
    master_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.app_key or ":" in self.app_key:
            # Basic auth splits user and password at the first colon.
            raise ConfigError("app key must be non-empty and must not contain ':'")
        if not self.master_secret:
            raise ConfigError("master secret is empty")

    def __str__(self) -> str:
        return f"app key {self.app_key}"


def credentials_from_env(
    app_key_env: str = "WEBPUSH_APP_KEY",
    master_secret_env: str = "WEBPUSH_MASTER_SECRET",  # noqa: S107 - a variable name
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """Read credentials from the environment variables a Project names (secrets never live in
    manifests, which are in git)."""
    env = os.environ if environ is None else environ
    missing = [name for name in (app_key_env, master_secret_env) if not env.get(name, "").strip()]
    if missing:
        raise ConfigError(
            "missing credentials: set the environment variable"
            + ("s " if len(missing) > 1 else " ")
            + " and ".join(missing)
        )
    return Credentials(env[app_key_env].strip(), env[master_secret_env].strip())


__all__ = [
    "BASE_URLS",
    "Credentials",
    "check_base_url",
    "credentials_from_env",
    "is_loopback",
    "resolve_base_url",
]
