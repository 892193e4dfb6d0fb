"""``export``: turn what is live into manifests that validate and plan as a no-op.

Why it exists: adopting webpush-iac on an app that already has schedules and tagged devices starts
from "what is there now". The export is the inverse of ``manifest.load`` + ``diff`` over the live
state: owned schedules (default prefix ``iac_``) become one Schedule file each with the prefix
stripped, devices named in a registration-id list become Device documents with their live tags and
alias, and a Project file ties them together. Planning the export against the same live state
must show no change.

Two things cannot round-trip and are reported as warnings instead of guessed at:

* Unowned schedules (no prefix): declaring them would create ``iac_<name>`` next to the original,
  so each goes to ``unowned/<name>.yaml.example`` — outside what ``validate`` reads — ready to adopt
  by hand (move it in, apply, delete the old one).
* Push fields the manifest schema has no place for; they would show as drift.

YAML goes through ``manifest.dump_yaml`` (only ``manifest.yaml`` may import ruamel).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webpush_iac.commands.connection import Target, connect
from webpush_iac.errors import ConfigError
from webpush_iac.live import read_devices, schedule_from_api
from webpush_iac.manifest import dump_yaml, load_project
from webpush_iac.manifest.membership import id_lines
from webpush_iac.manifest.models.push import PushOptions
from webpush_iac.progress import Progress
from webpush_iac.state import JSON, LiveDevice, LiveSchedule, ProjectSettings

API_VERSION = "webpush-iac/v1"
PROJECT_FILE = "webpush-iac.yaml"
EXPORT_PROJECT = "exported"
_JINJA_MARKERS = ("{{", "{%", "{#")
_NOTIFICATION_KEYS = ("alert", "url", "title", "icon", "image", "extras")
_MESSAGE_KEYS = ("msg_content", "title", "content_type", "extras")
_PUSH_KEYS = ("to", "body", "custom_args", "request_id", "from")


@dataclass
class ExportRun:
    directory: Path
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


async def export_command(
    out_dir: str | Path,
    *,
    target: Target,
    project: str | Path | None = None,
    registration_ids_file: str | Path | None = None,
    settings: ProjectSettings | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> ExportRun:
    """Read live schedules (and the listed devices) with GETs only and write manifests.

    ``project`` (``export PATH``) is a manifest tree or its Project file: its ownership prefix,
    region, credential variable names, time zone and product decide what is read and written.
    Without it the defaults hold (prefix ``iac_``, ``WEBPUSH_APP_KEY`` / ``WEBPUSH_MASTER_SECRET``).
    """
    if settings is None:
        settings = load_project(project) if project is not None else None
    settings = settings or ProjectSettings(name=EXPORT_PROJECT)
    directory = Path(out_dir)
    _refuse_existing_manifests(directory)
    rids = read_registration_ids(registration_ids_file) if registration_ids_file else []
    conn = connect(settings, target, environ)
    run = ExportRun(directory)
    async with conn.client(read_only=True) as client:
        if progress is not None:
            progress("reading schedules…")
        schedules = [s for s in map(schedule_from_api, await client.list_schedules()) if s]
        devices: dict[str, LiveDevice] = {}
        if rids:
            if progress is not None:
                progress(f"reading {len(rids):,} device{'s' if len(rids) != 1 else ''}…")
            reads = await read_devices(client, rids, progress=progress)
            devices = reads.devices
            for rid, why in sorted({**reads.unknown, **reads.unreadable}.items()):
                run.warnings.append(f"device {rid} skipped: {why}")
    _write(run, PROJECT_FILE, [project_document(settings)])
    seen: set[str] = set()
    for schedule in schedules:
        _export_schedule(run, schedule, settings, seen)
    if devices:
        docs = device_documents([devices[r] for r in rids if r in devices])
        _write(run, "devices.yaml", docs)
    return run


def read_registration_ids(path: str | Path) -> list[str]:
    """One id per line; blank lines and ``#`` comments ignored; order kept, duplicates dropped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    return list(dict.fromkeys(rid for _, _, rid in id_lines(text)))


def _refuse_existing_manifests(directory: Path) -> None:
    if directory.exists():
        found = [*directory.rglob("*.yaml"), *directory.rglob("*.yml")]
        if found:
            raise ConfigError(
                f"{directory} already holds manifests ({found[0]}); export into an empty directory"
            )


def _export_schedule(
    run: ExportRun, live: LiveSchedule, settings: ProjectSettings, seen: set[str]
) -> None:
    prefix = settings.prefix
    owned = live.name.startswith(prefix) and len(live.name) > len(prefix)
    name = live.name[len(prefix) :] if owned else live.name
    if owned and name in seen:
        run.warnings.append(
            f"schedule {live.name} ({live.schedule_id}) is a duplicate name; only the first is "
            "exported (plan will show the conflict)"
        )
        return
    notes: list[str] = []
    doc = schedule_document(name, live, notes, settings.product)
    for note in notes:
        run.warnings.append(f"schedule {live.name}: {note}")
    if doc is None:
        return
    if owned:
        seen.add(name)
        _write(run, f"schedules/{name}.yaml", [doc])
    else:
        run.warnings.append(
            f"schedule {live.name} is not owned (no {prefix!r} prefix); written to "
            f"unowned/{live.name}.yaml.example, which validate and plan do not read"
        )
        header = (
            f"Not owned: the live name {live.name!r} lacks the prefix {prefix!r}. To adopt it,\n"
            "move this file next to the other schedules, apply (creating "
            f"{prefix}{live.name}),\nthen delete the original in the console."
        )
        _write(run, f"unowned/{live.name}.yaml.example", [doc], header=header)


# -- documents ---------------------------------------------------------------------------------


def project_document(settings: ProjectSettings) -> JSON:
    product = {"product": settings.product} if settings.product != "web" else {}
    return {
        "apiVersion": API_VERSION,
        "kind": "Project",
        "metadata": {"name": settings.name or EXPORT_PROJECT},
        "spec": {
            **product,
            "region": settings.region,
            "credentials": {
                "app_key": {"env": settings.app_key_env},
                "master_secret": {"env": settings.master_secret_env},
            },
            "timezone": settings.timezone,
            "ownership": {"prefix": settings.prefix},
        },
    }


def schedule_document(
    name: str, live: LiveSchedule, notes: list[str], product: str = "web"
) -> JSON | None:
    """A Schedule document whose rendered push equals the live one (``None`` if impossible)."""
    trigger = live.trigger
    smart = trigger.get("intelligent")
    if isinstance(smart, dict) and str(smart.get("backup_time", "")).lower() == "now":
        notes.append('intelligent backup_time "now" cannot be declared; not exported')
        return None
    push = _push_spec(live.push, notes, product)
    if push is None:
        return None
    return {
        "apiVersion": API_VERSION,
        "kind": "Schedule",
        "metadata": {"name": name},
        "spec": {"enabled": live.enabled, "trigger": trigger, "push": push},
    }


def _push_spec(push: JSON, notes: list[str], product: str) -> JSON | None:
    raw_body = push.get("body")
    body: JSON = raw_body if isinstance(raw_body, dict) else {}
    spec: JSON = {"to": push.get("to", "all")}
    if push.get("from", "push") != "push":
        spec["from"] = push["from"]
    if body.get("platform", product) != product:
        spec["platform"] = body["platform"]  # as written, e.g. ["web"]
    notification = body.get("notification")
    message = body.get("message")
    if isinstance(notification, dict) and isinstance(notification.get("web"), dict):
        web = notification["web"]
        flat = {k: _literal(web[k]) for k in _NOTIFICATION_KEYS if k in web}
        if "alert" in notification:  # the API's own shape: a generic alert beside the web block
            spec["notification"] = {"alert": _literal(notification["alert"]), "web": flat}
        else:
            spec["notification"] = flat
        _note_extra(notes, "body.notification.web", web, _NOTIFICATION_KEYS)
        _note_extra(notes, "body.notification", notification, ("alert", "web"))
    elif isinstance(message, dict):
        spec["message"] = {k: _literal(message[k]) for k in _MESSAGE_KEYS if k in message}
        _note_extra(notes, "body.message", message, _MESSAGE_KEYS)
    else:
        notes.append("push has no web notification or message; not exported")
        return None
    options = dict(body.get("options") or {})
    languages = options.pop("multi_language", None)
    if isinstance(languages, dict) and languages:
        spec["languages"] = {
            code: {
                k: _literal(v)
                for k, v in (("title", lang.get("title")), ("alert", lang.get("content")))
                if v is not None
            }
            for code, lang in languages.items()
            if isinstance(lang, dict)
        }
    known = tuple(PushOptions.model_fields)
    _note_extra(notes, "body.options", options, known)
    options = {k: _literal(v) for k, v in options.items() if k in known}
    if options:
        spec["options"] = options
    for key in ("custom_args", "request_id"):
        if push.get(key) is not None:
            spec[key] = push[key]
    _note_extra(notes, "push", push, _PUSH_KEYS)
    _note_extra(notes, "push.body", body, ("platform", "notification", "message", "options"))
    return spec


def _note_extra(notes: list[str], where: str, value: JSON, known: tuple[str, ...]) -> None:
    extra = sorted(k for k in value if k not in known)
    if extra:
        notes.append(f"{where} fields {', '.join(extra)} have no manifest form (plan shows drift)")


def _literal(value: Any) -> Any:
    """Notification, message, language and option strings are Jinja templates in a manifest:
    live text that happens to contain ``{{`` must stay literal, so it is wrapped in ``raw``."""
    if isinstance(value, str) and any(m in value for m in _JINJA_MARKERS):
        return "{% raw %}" + value + "{% endraw %}"
    if isinstance(value, dict):
        return {k: _literal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal(v) for v in value]
    return value


def device_documents(devices: list[LiveDevice]) -> list[JSON]:
    docs: list[JSON] = []
    labels: set[str] = set()
    for device in devices:
        label = re.sub(r"[^A-Za-z0-9_.-]", "_", device.registration_id)
        while label in labels:
            label += "_"
        labels.add(label)
        spec: JSON = {"registration_id": device.registration_id}
        if device.alias:
            spec["alias"] = device.alias
        if device.tags:
            spec["tags"] = sorted(device.tags)
        docs.append(
            {"apiVersion": API_VERSION, "kind": "Device", "metadata": {"name": label}, "spec": spec}
        )
    return docs


# -- YAML --------------------------------------------------------------------------------------


def _write(run: ExportRun, relative: str, docs: list[JSON], *, header: str = "") -> None:
    path = run.directory / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    text = comment + "---\n".join(dump_yaml(doc) for doc in docs)
    path.write_text(text, encoding="utf-8")
    run.files.append(path)


__all__ = ["ExportRun", "device_documents", "export_command", "read_registration_ids"]
