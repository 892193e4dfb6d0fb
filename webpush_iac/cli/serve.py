"""``emulator serve``: the local EngageLab stand-in as a long-running server."""

from __future__ import annotations

import click

from webpush_iac.cli.app import cli, debug_option
from webpush_iac.errors import ConfigError


@cli.group()
def emulator() -> None:
    """A local EngageLab-compatible server for tests, demos and CI (never a real tenant)."""


_ZONES = click.Choice(["earliest", "latest", "utc"])


@emulator.command("serve")
@click.option(
    "--product",
    type=click.Choice(["web", "app"]),
    default="web",
    show_default=True,
    help="Serve the Web Push or the App Push API.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--db", "db_path", default=":memory:", show_default=True, help="SQLite state file.")
@click.option("--app-key", envvar="WEBPUSH_APP_KEY", help="[env WEBPUSH_APP_KEY]")
@click.option("--master-secret", envvar="WEBPUSH_MASTER_SECRET", help="[env WEBPUSH_MASTER_SECRET]")
@click.option("--qps", type=click.FloatRange(min=0, min_open=True), help="QPS limit per app key.")
@click.option("--latency-ms", default=0, type=click.IntRange(min=0), help="Delay every API call.")
@click.option("--fail-rate", default=0.0, type=click.FloatRange(0, 1), help="Share answered 503.")
@click.option("--drop-rate", default=0.0, type=click.FloatRange(0, 1), help="Share cut mid-answer.")
@click.option("--timezone", default="UTC", show_default=True, help="Zone of zone_type 1 times.")
@click.option(
    "--zone2-fire",
    type=_ZONES,
    default="earliest",
    show_default=True,
    help="Zone where a zone_type 2 time fires (earliest = UTC+14, latest = UTC-12).",
)
@click.option(
    "--zone2-leave",
    type=_ZONES,
    default="latest",
    show_default=True,
    help="Zone where a zone_type 2 single or intelligent task leaves the list.",
)
@click.option(
    "--periodical-zone2-leave",
    type=_ZONES,
    default="latest",
    show_default=True,
    help="Zone where a zone_type 2 periodical's end takes it off the list.",
)
@click.option(
    "--intelligent-expires/--intelligent-stays",
    default=True,
    show_default=True,
    help="Whether intelligent tasks leave the list once their backup_time passed.",
)
@click.option(
    "--max-message-bytes",
    default=4000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Push body size limit (compact UTF-8 JSON); past it: 21005.",
)
@click.option(
    "--max-body-bytes",
    default=1 << 20,
    show_default=True,
    type=click.IntRange(min=1),
    help="Request body cap; past it: HTTP 413.",
)
@click.option(
    "--max-upload-bytes",
    default=10 << 20,
    show_default=True,
    type=click.IntRange(min=1),
    help="Multipart (voice pack) body cap; past it: HTTP 413.",
)
@click.option(
    "--plan-deletion/--no-plan-deletion",
    default=True,
    show_default=True,
    help="Whether push plans can be deleted (app).",
)
@click.option(
    "--tags-list-cap",
    type=click.IntRange(min=1),
    help="GET /v4/tags lists at most N tags per platform (default: all).",
)
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback --host.")
@debug_option
def emulator_serve(
    product: str,
    host: str,
    port: int,
    db_path: str,
    app_key: str | None,
    master_secret: str | None,
    qps: float | None,
    latency_ms: int,
    fail_rate: float,
    drop_rate: float,
    timezone: str,
    zone2_fire: str,
    zone2_leave: str,
    periodical_zone2_leave: str,
    intelligent_expires: bool,
    max_message_bytes: int,
    max_body_bytes: int,
    max_upload_bytes: int,
    plan_deletion: bool,
    tags_list_cap: int | None,
    allow_remote: bool,
    debug: int,
) -> None:
    """Serve the emulator until interrupted (port 0 = any free); prints its URL once listening.

    The rule options choose the emulator's reading where the API reference is unsure (see
    docs/emulator.md); each can also be changed at run time through POST /_emulator/faults.
    """
    from webpush_iac.emulator import EmulatorConfig, serve

    if not app_key or not master_secret:
        raise ConfigError("set --app-key/--master-secret or WEBPUSH_APP_KEY/WEBPUSH_MASTER_SECRET")
    try:
        config = EmulatorConfig(
            app_key=app_key,
            master_secret=master_secret,
            db_path=db_path,
            qps=qps,
            latency_ms=latency_ms,
            fail_rate=fail_rate,
            drop_rate=drop_rate,
            timezone=timezone,
            product=product,  # type: ignore[arg-type]  # click.Choice checked it
            zone2_fire=zone2_fire,  # type: ignore[arg-type]
            zone2_leave=zone2_leave,  # type: ignore[arg-type]
            periodical_zone2_leave=periodical_zone2_leave,  # type: ignore[arg-type]
            intelligent_expires=intelligent_expires,
            max_message_bytes=max_message_bytes,
            max_body_bytes=max_body_bytes,
            max_upload_bytes=max_upload_bytes,
            plan_deletion=plan_deletion,
            tags_list_cap=tags_list_cap,
        )
        serve(
            config,
            host,
            port,
            allow_remote=allow_remote,
            on_ready=lambda url: click.echo(f"webpush-iac emulator listening on {url}"),
        )
    except ValueError as exc:  # bad host, zone or limit; never carries the secret
        raise ConfigError(str(exc)) from None
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


emulator_serve.epilog = (
    "\b\nExamples:\n  webpush-iac emulator serve --port 8787 --app-key k --master-secret s\n"
    "  webpush-iac emulator serve --product app --zone2-leave earliest --intelligent-stays"
)

__all__ = ["emulator", "emulator_serve"]
