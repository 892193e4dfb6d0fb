"""Where plan/apply/audit/export send requests, and with which credentials.

``--base-url`` / ``WEBPUSH_BASE_URL``, else the Project region; or the embedded emulator.
Only ``cli`` may import the emulator, so it hands over a factory for the ASGI app instead. A saved
plan records its target (a base URL, or ``"emulator"``) and the *names* of the credential variables
and the pacing and safety settings, never a secret, so ``apply --plan`` can reconnect and re-check
without reading manifests.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from webpush_iac.client import EngageLabClient
from webpush_iac.client.config import Credentials, credentials_from_env, resolve_base_url
from webpush_iac.errors import ConfigError, StalePlanError
from webpush_iac.plan import Plan
from webpush_iac.state import DEFAULT_TIMEOUT, MAX_TIMEOUT, DesiredState, ProjectSettings

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

    @property
    def explicit(self) -> bool:
        return bool(self.base_url) or self.emulator is not None


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
    if target.emulator is not None:
        creds = _emulator_credentials(settings, env)
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
    creds = credentials_from_env(settings.app_key_env, settings.master_secret_env, env)
    return Connection(
        base_url,
        base_url,
        creds,
        settings.qps,
        settings.concurrency,
        options=target.client_options,
        timeout=timeout,
    )


def _emulator_credentials(settings: ProjectSettings, env: Mapping[str, str]) -> Credentials:
    names = (settings.app_key_env, settings.master_secret_env)
    if not any(env.get(n, "").strip() for n in names):
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


def plan_settings(settings: ProjectSettings) -> dict[str, Any]:
    """What ``apply --plan`` needs to reconnect and re-check safety without the manifests.

    Variable *names* only: a plan file is often uploaded as a CI artefact.
    """
    return {
        "region": settings.region,
        "product": settings.product,
        "app_key_env": settings.app_key_env,
        "master_secret_env": settings.master_secret_env,
        "timezone": settings.timezone,
        "qps": settings.qps,
        "concurrency": settings.concurrency,
        "timeout": settings.timeout,
        "max_delete_percent": settings.max_delete_percent,
        "max_device_changes": settings.max_device_changes,
    }


def _timeout(value: Any) -> float:
    seconds = float(value)
    if not 0 < seconds <= MAX_TIMEOUT:  # NaN fails too
        raise ValueError(f"timeout must be above 0 and at most {MAX_TIMEOUT:g} seconds")
    return seconds


def settings_from_plan(plan: Plan) -> ProjectSettings:
    saved = plan.settings or {}
    defaults = ProjectSettings(name=plan.project)
    try:
        return ProjectSettings(
            name=plan.project,
            region=str(saved.get("region", defaults.region)),
            product=str(saved.get("product", defaults.product)),
            app_key_env=str(saved.get("app_key_env", defaults.app_key_env)),
            master_secret_env=str(saved.get("master_secret_env", defaults.master_secret_env)),
            timezone=str(saved.get("timezone", defaults.timezone)),
            qps=float(saved.get("qps", defaults.qps)),
            concurrency=int(saved.get("concurrency", defaults.concurrency)),
            timeout=_timeout(saved.get("timeout", defaults.timeout)),
            max_delete_percent=float(saved.get("max_delete_percent", defaults.max_delete_percent)),
            max_device_changes=int(saved.get("max_device_changes", defaults.max_device_changes)),
        )
    except (TypeError, ValueError) as exc:
        raise StalePlanError(
            f"saved plan settings are malformed ({exc}); nothing was sent"
        ) from None


__all__ = [
    "EMULATOR_APP_KEY",
    "EMULATOR_DB",
    "EMULATOR_MASTER_SECRET",
    "EMULATOR_TARGET",
    "Connection",
    "EmulatorFactory",
    "Target",
    "connect",
    "plan_settings",
    "register_emulator_devices",
    "settings_from_plan",
]
