"""Where plan/apply/audit/export send requests, and with which credentials.

``--base-url`` / ``WEBPUSH_BASE_URL``, else the Project region; or the embedded emulator.
Only ``cli`` may import the emulator, so it hands over a factory for the ASGI app instead.

A saved plan records its target (a base URL, or ``"emulator"``), but apply never goes where a file
says: it works out the target itself (its own ``--base-url`` / ``WEBPUSH_BASE_URL``, else the
built-in host of the plan's product and region, or ``--emulator``) and refuses a plan recorded for
another one. Its credentials come from apply's own environment variable names, never from the
file, so a plan cannot choose which variable's value is sent as a password, nor where.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from webpush_iac.apispec import safe_target
from webpush_iac.client import EngageLabClient
from webpush_iac.client.config import (
    Credentials,
    check_base_url,
    credentials_from_env,
    resolve_base_url,
)
from webpush_iac.errors import ConfigError, InvalidPlanError, StalePlanError
from webpush_iac.plan import Plan
from webpush_iac.state import DEFAULT_TIMEOUT, DesiredState, ProjectSettings

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
STATE_DIR = Path(".webpush-iac")
EMULATOR_DB = STATE_DIR / "emulator.sqlite"
EMULATOR_TARGET = "emulator"
# Never dialled: the client hands requests to the in-process app. Loopback so the URL check passes.
EMULATOR_BASE_URL = "http://127.0.0.1"
# Fixed local credentials so the quick start needs no set-up; they open nothing but the emulator.
EMULATOR_APP_KEY = "webpush-iac-emulator"
EMULATOR_MASTER_SECRET = "webpush-iac-emulator-secret"  # noqa: S105 - a local, public default


class EmulatorFactory(Protocol):
    """Builds the embedded emulator's ASGI app (``cli`` supplies it; the core may not import it)."""

    def __call__(self, *, app_key: str, master_secret: str, timezone: str) -> Any: ...


@dataclass(frozen=True)
class Target:
    """Where plan/apply/audit send requests; ``emulator`` set means the embedded emulator."""

    base_url: str | None = None
    emulator: EmulatorFactory | None = None
    # Extra EngageLabClient keyword arguments (tests: ``sleep``, ``max_retries``, ``transport``).
    client_options: Mapping[str, Any] = field(default_factory=dict)
    # Embedded emulator only: register the devices the manifests name before reading, as if
    # those browsers had subscribed, so a fresh emulator runs the examples with no set-up.
    register_devices: bool = False
    # ``--timeout``: seconds per wait of one attempt, over the Project's ``spec.timeout``.
    timeout: float | None = None

    def __post_init__(self) -> None:
        if self.base_url and self.emulator is not None:
            raise ConfigError("--emulator and --base-url (or WEBPUSH_BASE_URL) exclude each other")


@dataclass(frozen=True)
class CredentialEnv:
    """The environment variables ``apply --plan`` reads its credentials from (its own options,
    never the plan file's)."""

    app_key: str = "WEBPUSH_APP_KEY"
    master_secret: str = "WEBPUSH_MASTER_SECRET"  # noqa: S105 - a variable name

    def __post_init__(self) -> None:
        for name in (self.app_key, self.master_secret):
            if not _ENV_NAME.fullmatch(name):
                raise ConfigError(f"{name!r} is not an environment variable name")


@dataclass(frozen=True)
class Connection:
    """A resolved target: enough to build a client. ``target`` is what a saved plan records."""

    target: str
    base_url: str
    credentials: Credentials
    qps: float = 450.0
    concurrency: int = 32
    app: Any = None
    options: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT

    def client(self, *, read_only: bool) -> EngageLabClient:
        return EngageLabClient(
            self.base_url,
            self.credentials,
            qps=self.qps,
            concurrency=self.concurrency,
            read_only=read_only,
            timeout=self.timeout,
            asgi_app=self.app,
            **self.options,
        )

    @property
    def redact(self) -> tuple[str, ...]:
        return (self.credentials.master_secret,)


def connect(
    settings: ProjectSettings,
    target: Target,
    environ: Mapping[str, str] | None = None,
) -> Connection:
    """Resolve target and credentials for a project."""
    env = os.environ if environ is None else environ
    timeout = target.timeout if target.timeout is not None else settings.timeout
    creds = resolve_credentials(settings.app_key_env, settings.master_secret_env, target, env)
    if target.emulator is not None:
        app = target.emulator(
            app_key=creds.app_key, master_secret=creds.master_secret, timezone=settings.timezone
        )
        return Connection(
            EMULATOR_TARGET,
            EMULATOR_BASE_URL,
            creds,
            settings.qps,
            settings.concurrency,
            app,
            target.client_options,
            timeout,
        )
    base_url = resolve_base_url(settings.region, settings.product, target.base_url)
    return Connection(
        base_url,
        base_url,
        creds,
        settings.qps,
        settings.concurrency,
        options=target.client_options,
        timeout=timeout,
    )


def resolve_credentials(
    app_key_env: str,
    master_secret_env: str,
    target: Target,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """The credentials for ``target`` from the two variables named (no network).

    The embedded emulator takes fixed local credentials unless those variables are set.
    """
    env = os.environ if environ is None else environ
    names = (app_key_env, master_secret_env)
    if target.emulator is not None and not any(env.get(n, "").strip() for n in names):
        return Credentials(EMULATOR_APP_KEY, EMULATOR_MASTER_SECRET)
    return credentials_from_env(*names, env)


async def register_emulator_devices(conn: Connection, desired: DesiredState) -> None:
    """Seed the embedded emulator with the known devices (its admin route, not the API)."""
    rids = sorted(desired.devices)
    if conn.app is None or not rids:
        return
    async with conn.client(read_only=False) as client:
        for start in range(0, len(rids), 1000):
            await client.request(
                "POST",
                "/_emulator/devices",
                json={"registration_ids": rids[start : start + 1000]},
                idempotent=True,
            )


def settings_from_plan(plan: Plan, env: CredentialEnv) -> ProjectSettings:
    """The Project settings ``apply --plan`` reconnects with: pacing, safety and where from the
    (signed, already range-checked) plan, credential variable names from apply itself."""
    saved = plan.settings
    try:
        return ProjectSettings(
            name=plan.project,
            region=str(saved["region"]),
            product=str(saved["product"]),
            app_key_env=env.app_key,
            master_secret_env=env.master_secret,
            timezone=str(saved["timezone"]),
            prefix=plan.owner_prefix,
            qps=float(saved["qps"]),
            concurrency=int(saved["concurrency"]),
            timeout=float(saved["timeout"]),
            max_delete_percent=float(saved["max_delete_percent"]),
            max_device_changes=int(saved["max_device_changes"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidPlanError(
            f"saved plan settings are malformed ({type(exc).__name__}); nothing was sent"
        ) from None


def saved_plan_target(plan: Plan, settings: ProjectSettings, target: Target) -> Target:
    """Where ``apply --plan`` goes: decided by apply, then required to equal the plan's target.

    ``--emulator`` for an emulator plan; else apply's own ``--base-url`` / ``WEBPUSH_BASE_URL``;
    else the built-in host of the plan's product and region. The file never adds a host.
    """
    recorded = plan.target
    if target.emulator is not None:
        if recorded != EMULATOR_TARGET:
            raise StalePlanError(
                f"the saved plan was made for {recorded}, not the emulator; drop --emulator "
                "(nothing was sent)"
            )
        return target
    if recorded == EMULATOR_TARGET:
        raise StalePlanError(
            "the saved plan was made against the emulator; pass --emulator to apply it "
            "(nothing was sent)"
        )
    if target.base_url:
        url, source = check_base_url(target.base_url), "--base-url / WEBPUSH_BASE_URL"
    else:
        url = resolve_base_url(settings.region, settings.product)
        source = f"the built-in host of {settings.product} region {settings.region}"
    if safe_target(url) != recorded:
        hint = "" if target.base_url else f"; to apply it there pass --base-url {recorded}"
        raise StalePlanError(
            f"the saved plan was made for {recorded}, not {safe_target(url)} ({source}){hint} "
            "(nothing was sent)"
        )
    return Target(base_url=url, client_options=target.client_options, timeout=target.timeout)


__all__ = [
    "EMULATOR_APP_KEY",
    "EMULATOR_DB",
    "EMULATOR_MASTER_SECRET",
    "EMULATOR_TARGET",
    "Connection",
    "CredentialEnv",
    "EmulatorFactory",
    "Target",
    "connect",
    "register_emulator_devices",
    "resolve_credentials",
    "saved_plan_target",
    "settings_from_plan",
]
