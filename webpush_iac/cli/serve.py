"""``emulator serve``: the local EngageLab stand-in as a long-running server."""

from __future__ import annotations

import click

from webpush_iac.cli.app import cli, debug_option
from webpush_iac.errors import ConfigError


@cli.group()
def emulator() -> None:
    """A local EngageLab-compatible server for tests, demos and CI (never a real tenant)."""


@emulator.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--db", "db_path", default=":memory:", show_default=True, help="SQLite state file.")
@click.option("--app-key", envvar="WEBPUSH_APP_KEY", help="[env WEBPUSH_APP_KEY]")
@click.option("--master-secret", envvar="WEBPUSH_MASTER_SECRET", help="[env WEBPUSH_MASTER_SECRET]")
@click.option("--qps", type=click.FloatRange(min=0, min_open=True), help="QPS limit per app key.")
@click.option("--latency-ms", default=0, type=click.IntRange(min=0), help="Delay every API call.")
@click.option("--fail-rate", default=0.0, type=click.FloatRange(0, 1), help="Share answered 503.")
@click.option("--timezone", default="UTC", show_default=True, help="Zone of zone_type 1 times.")
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback --host.")
@debug_option
def emulator_serve(
    host: str,
    port: int,
    db_path: str,
    app_key: str | None,
    master_secret: str | None,
    qps: float | None,
    latency_ms: int,
    fail_rate: float,
    timezone: str,
    allow_remote: bool,
    debug: bool,
) -> None:
    """Serve the emulator until interrupted (port 0 = any free); prints its URL once listening."""
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
            timezone=timezone,
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
    "\b\nExample:\n  webpush-iac emulator serve --port 8787 --app-key k --master-secret s"
)

__all__ = ["emulator", "emulator_serve"]
