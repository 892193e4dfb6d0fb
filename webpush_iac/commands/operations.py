"""The end-to-end commands (plan, apply, audit) as library functions the CLI calls.

Why a layer between ``cli`` and the engine: each command is manifests → client → live → diff →
(apply), and the same wiring must hold for the CLI, for tests and for anyone scripting webpush-iac
from Python. Keeping it here leaves ``cli`` a thin parser/printer and keeps click out of the engine.

Where requests go, and how a saved plan reconnects without manifests, is ``connection``'s job.
A saved plan is signed with a key derived from the credentials ``plan`` used, and ``apply --plan``
verifies it with its own credentials before anything else (``plan.planfile``).

Every function here is silent: progress goes through the optional ``progress`` callback, results are
returned, failures raise :mod:`webpush_iac.errors` types.
"""

from __future__ import annotations

import json
import stat
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from webpush_iac.apply.executor import apply_plan
from webpush_iac.apply.freshness import check_offline, check_target, verify_saved_plan
from webpush_iac.apply.guard import GuardedRequester
from webpush_iac.apply.journal import DEFAULT_JOURNAL_DIR, Journal
from webpush_iac.apply.lock import DEFAULT_LOCK_DIR, ApplyLock
from webpush_iac.apply.result import ApplyResult
from webpush_iac.client import EngageLabClient
from webpush_iac.client.config import Credentials
from webpush_iac.commands.connection import (
    EMULATOR_DB,
    EMULATOR_TARGET,
    Connection,
    CredentialEnv,
    EmulatorFactory,
    Target,
    connect,
    register_emulator_devices,
    resolve_credentials,
    saved_plan_target,
    settings_from_plan,
)
from webpush_iac.concurrency import StopRequest
from webpush_iac.errors import (
    ApplyCancelled,
    ConfigError,
    InvalidPlanError,
    SafetyError,
    StalePlanError,
)
from webpush_iac.live import read_live
from webpush_iac.manifest import load, read_baseline
from webpush_iac.plan import (
    AuditReport,
    Plan,
    build_audit,
    check_format_version,
    check_plan_requests,
    check_safety,
    diff,
    parse_plan_json,
    plan_from_data,
    plan_signing_key,
    sign_plan,
)
from webpush_iac.progress import Progress
from webpush_iac.state import DesiredState

Paths = Sequence[str | Path]
MAX_PLAN_BYTES: Final = 256 * 1024 * 1024  # far above 1000 schedules and 100,000 devices


async def _open(
    paths: Paths, target: Target, baseline: str | None, environ: Mapping[str, str] | None
) -> tuple[DesiredState, Connection]:
    """Manifests and where to send requests; the embedded emulator first learns their devices."""
    desired = load_desired(paths, baseline=baseline)
    conn = connect(desired.project, target, environ)
    if target.register_devices:
        await register_emulator_devices(conn, desired)
    return desired, conn


def load_desired(paths: Paths, *, baseline: str | None = None) -> DesiredState:
    """Manifests → DesiredState; with a baseline ref its devices are known too, so a device
    dropped from an exact tag since then loses the tag, and its schedule names tell a fired single
    from one that was never created."""
    roots = list(paths) or ["."]
    if not baseline:
        return load(roots)
    before = read_baseline(roots, baseline)
    state = load(roots, extra_known_devices=sorted(before.registration_ids))
    return replace(state, baseline_schedules=before.schedules)


def _now(server_time: datetime | None) -> datetime:
    """The server fires schedules, so its clock decides fired/expired; ours only as a fallback."""
    return server_time if server_time is not None else datetime.now(UTC)


# -- plan --------------------------------------------------------------------------------------


@dataclass
class PlanRun:
    """A computed plan plus the safety verdict (kept, not raised, so the plan is still shown)."""

    plan: Plan
    desired: DesiredState
    safety: SafetyError | None = None
    # Signs the saved plan (derived from the credentials the plan was read with; not a secret
    # that opens the API, but never shown either).
    signing_key: bytes = field(default=b"", repr=False)


async def plan_command(
    paths: Paths,
    *,
    target: Target,
    baseline: str | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> PlanRun:
    """Read-only: GETs through a ``read_only`` client, then a pure diff."""
    desired, conn = await _open(paths, target, baseline, environ)
    async with conn.client(read_only=True) as client:
        plan = await _compute_plan(client, desired, conn, progress)
    safety: SafetyError | None = None
    try:
        check_safety(plan, desired.project)
    except SafetyError as exc:
        safety = exc
    return PlanRun(plan, desired, safety, signing_key(conn.credentials))


async def _compute_plan(
    client: EngageLabClient,
    desired: DesiredState,
    conn: Connection,
    progress: Progress | None,
) -> Plan:
    live = await read_live(client, desired, progress=progress)
    plan = diff(desired, live, now=_now(live.server_time))
    plan.target = conn.target
    return plan


def signing_key(credentials: Credentials) -> bytes:
    return plan_signing_key(credentials.app_key, credentials.master_secret)


def write_plan_file(plan: Plan, path: str | Path, *, key: bytes) -> Path:
    """Write the signed saved-plan JSON; it holds no credential and no credential name."""
    if not key:
        raise ConfigError("a saved plan needs the signing key of the credentials it was read with")
    out = Path(path)
    if out.parent != Path():
        out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(sign_plan(plan, key), indent=2, ensure_ascii=False)
    out.write_text(text + "\n", "utf-8")
    return out


def read_plan_data(path: str | Path) -> Any:
    """The JSON of a plan file: a regular file of bounded size, strict JSON (no network, no
    trust: :func:`plan_from_data` decides what it is worth)."""
    where = Path(path)
    try:
        info = where.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InvalidPlanError(f"plan file {path} is not a regular file; nothing was sent")
        if info.st_size > MAX_PLAN_BYTES:
            raise InvalidPlanError(
                f"plan file {path} is larger than {MAX_PLAN_BYTES // 2**20} MiB; nothing was sent"
            )
        with where.open("rb") as handle:
            raw = handle.read(MAX_PLAN_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"plan file {path} does not exist") from None
    except OSError as exc:
        raise InvalidPlanError(
            f"plan file {path} cannot be read ({exc.strerror or type(exc).__name__}); "
            "nothing was sent"
        ) from None
    if len(raw) > MAX_PLAN_BYTES:
        raise InvalidPlanError(f"plan file {path} grew while it was read; nothing was sent")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidPlanError(f"plan file {path} is not UTF-8 text; nothing was sent") from None
    return parse_plan_json(text)


def read_plan_file(path: str | Path, *, key: bytes) -> Plan:
    """A verified saved plan (signature first, then every field and request)."""
    return plan_from_data(read_plan_data(path), key)


# -- apply -------------------------------------------------------------------------------------


@dataclass
class ApplyRun:
    """What apply did; ``journal`` is the journal file (``None`` when nothing had to be sent)."""

    plan: Plan
    result: ApplyResult
    journal: Path | None = None
    warnings: list[str] = field(default_factory=list)


Confirm = Callable[[Plan], bool]


async def apply_command(
    paths: Paths,
    *,
    target: Target,
    plan_file: str | Path | None = None,
    credential_env: CredentialEnv | None = None,
    allow_large: bool = False,
    confirm: Confirm | None = None,
    baseline: str | None = None,
    journal_dir: str | Path | None = None,
    lock_dir: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    stop: StopRequest | None = None,
) -> ApplyRun:
    """Converge live state. Without ``plan_file`` it re-plans and asks ``confirm`` (if given)
    before sending; with one it sends exactly the saved requests after the staleness checks,
    with credentials from the variables ``credential_env`` names (default ``WEBPUSH_APP_KEY``
    and ``WEBPUSH_MASTER_SECRET``; without a plan file the Project names them).

    Either way the local lock of the target and AppKey (``lock_dir``) is held from before the
    first read until the last request ended, so two applies on one machine cannot both create.
    A partial failure, or a ``stop`` request honoured part-way, is *returned* (``result.ok``
    false, ``result.stopped``); the CLI renders it, then exits 4 (or 128 + the signal).
    """
    guards = _Guards(journal_dir, lock_dir, stop)
    if plan_file is not None:
        return await _apply_saved(
            plan_file,
            target=target,
            credential_env=credential_env or CredentialEnv(),
            allow_large=allow_large,
            guards=guards,
            environ=environ,
            progress=progress,
        )
    if credential_env is not None:
        raise ConfigError(
            "--app-key-env and --master-secret-env only apply with --plan; without it the "
            "Project's credentials settings name the variables"
        )
    desired = load_desired(paths, baseline=baseline)
    conn = connect(desired.project, target, environ)
    async with _locked(conn, guards):
        if target.register_devices:
            await register_emulator_devices(conn, desired)
        async with conn.client(read_only=False) as client:
            plan = await _compute_plan(client, desired, conn, progress)
            plan.raise_for_errors()
            check_plan_requests(plan)
            check_safety(plan, desired.project, allow_large)
            if not plan.has_mutations:
                return ApplyRun(plan, ApplyResult(project=plan.project))
            if confirm is not None and not confirm(plan):
                raise ApplyCancelled("apply cancelled: nothing was sent")
            return await _execute(client, plan, conn, guards, progress)


@dataclass
class _Guards:
    """What keeps an apply from duplicating or losing track: where its journal and lock live,
    the lock once held, and the stop request a signal sets."""

    journal_dir: str | Path | None
    lock_dir: str | Path | None
    stop: StopRequest | None
    lock: ApplyLock | None = None


@asynccontextmanager
async def _locked(conn: Connection, guards: _Guards) -> AsyncIterator[ApplyLock]:
    directory = guards.lock_dir if guards.lock_dir is not None else DEFAULT_LOCK_DIR
    with ApplyLock(directory, conn.target, conn.credentials.app_key) as lock:
        guards.lock = lock
        yield lock


async def _apply_saved(
    plan_file: str | Path,
    *,
    target: Target,
    credential_env: CredentialEnv,
    allow_large: bool,
    guards: _Guards,
    environ: Mapping[str, str] | None,
    progress: Progress | None,
) -> ApplyRun:
    """Verify, then re-check, then re-read, then send; nothing leaves before the last step.

    Order matters: the signature is checked with apply's own credentials before any other field
    of the file is believed; the target is worked out by apply and must equal the plan's; the
    network is only used (GETs) once the plan passed every offline check.
    """
    data = read_plan_data(plan_file)
    check_format_version(data)
    if (data.get("target") == EMULATOR_TARGET) != (target.emulator is not None):
        # Only to say which flag is missing before asking for credentials; decided again below.
        flag = "pass --emulator" if target.emulator is None else "drop --emulator"
        raise StalePlanError(
            f"the saved plan was made for another target; {flag} (nothing was sent)"
        )
    credentials = resolve_credentials(
        credential_env.app_key, credential_env.master_secret, target, environ
    )
    plan = plan_from_data(data, signing_key(credentials))
    check_offline(plan, target=plan.target, now=datetime.now(UTC))
    settings = settings_from_plan(plan, credential_env)
    target = saved_plan_target(plan, settings, target)
    conn = connect(settings, target, environ)
    check_target(plan, conn.target)
    check_safety(plan, settings, allow_large)
    async with _locked(conn, guards), conn.client(read_only=False) as client:
        if progress is not None:
            progress("re-reading the objects the plan touches…")
        await verify_saved_plan(client, plan, target=conn.target, now=datetime.now(UTC))
        if not plan.has_mutations:
            return ApplyRun(plan, ApplyResult(project=plan.project))
        return await _execute(client, plan, conn, guards, progress)


async def _execute(
    client: EngageLabClient,
    plan: Plan,
    conn: Connection,
    guards: _Guards,
    progress: Progress | None,
) -> ApplyRun:
    if guards.lock is not None:
        guards.lock.check_held()  # a confirmation prompt may have waited past a takeover
    journal_dir = guards.journal_dir
    directory = Path(journal_dir) if journal_dir is not None else DEFAULT_JOURNAL_DIR
    guarded = GuardedRequester(client, prefix=plan.owner_prefix)
    with Journal(directory, redact=conn.redact) as journal:
        result = await apply_plan(
            guarded, plan, journal=journal, progress=progress, stop=guards.stop
        )
    return ApplyRun(plan, result, journal.path)


# -- audit -------------------------------------------------------------------------------------


async def audit_command(
    paths: Paths,
    *,
    target: Target,
    baseline: str | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> AuditReport:
    """Read-only drift report; the CLI exits 2 when it has drift."""
    desired, conn = await _open(paths, target, baseline, environ)
    async with conn.client(read_only=True) as client:
        live = await read_live(client, desired, progress=progress)
    return build_audit(desired, live, now=_now(live.server_time))


__all__ = [
    "EMULATOR_DB",
    "EMULATOR_TARGET",
    "ApplyRun",
    "Connection",
    "CredentialEnv",
    "EmulatorFactory",
    "PlanRun",
    "Target",
    "apply_command",
    "audit_command",
    "connect",
    "load_desired",
    "plan_command",
    "read_plan_data",
    "read_plan_file",
    "signing_key",
    "write_plan_file",
]
