"""Serving the emulator over a real socket with uvicorn: a background server for tests and the
blocking ``serve`` behind ``webpush-iac emulator serve``.

The listening socket is bound before uvicorn starts, so the port is known (even for port 0) and
connections made before uvicorn is fully up wait in the backlog instead of being refused.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from webpush_iac.emulator.app import create_app, emulator_of
from webpush_iac.emulator.config import EmulatorConfig
from webpush_iac.emulator.core import Emulator
from webpush_iac.emulator.faults import _DroppedConnection
from webpush_iac.loopback import is_loopback

STARTUP_TIMEOUT = 15.0


class _HideInjectedDrops(logging.Filter):
    """uvicorn logs an exception that cuts a response as an error with a traceback; an injected
    drop is intended, so it is not worth a traceback on the emulator's console."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], _DroppedConnection))


_UVICORN_ERRORS = logging.getLogger("uvicorn.error")
if not any(isinstance(f, _HideInjectedDrops) for f in _UVICORN_ERRORS.filters):
    _UVICORN_ERRORS.addFilter(_HideInjectedDrops())


def check_host(host: str, *, allow_remote: bool = False) -> None:
    """Refuse to listen beyond loopback unless asked: the emulator has no real security."""
    if not allow_remote and not is_loopback(host):
        raise ValueError(f"refusing to listen on non-loopback host {host!r} (see --allow-remote)")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when their
    # ``proto`` says TCP, and a socket made with proto 0 passes that on. Without it every answer
    # (headers and body are two writes) would wait for a delayed ACK (Nagle), ~40 ms on Linux.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _server(config: EmulatorConfig, log_level: str) -> tuple[uvicorn.Server, Emulator]:
    app = create_app(config)
    # log_config=None: leave the process's logging configuration alone (tests, the CLI).
    # date_header=False: the app sets Date from the emulator's (advanceable) clock; uvicorn's own
    # real-time Date would otherwise come first and the reconciler would read the wrong "now".
    uv_config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        log_level=log_level,
        access_log=False,
        date_header=False,
    )
    return uvicorn.Server(uv_config), emulator_of(app)


@contextmanager
def running_server(config: EmulatorConfig, host: str = "127.0.0.1") -> Iterator[str]:
    """Run the emulator on a free port in a background thread; yields its base URL."""
    check_host(host)
    sock = _bind(host, 0)
    port = sock.getsockname()[1]
    server, emu = _server(config, "warning")
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"webpush-emulator-{port}", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator server did not start")
            time.sleep(0.005)  # readiness poll, not a fixed wait
        yield _url(host, port)
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT)
        sock.close()
        emu.close()


def serve(
    config: EmulatorConfig,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    allow_remote: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted. ``on_ready`` gets the base URL once the port is bound."""
    check_host(host, allow_remote=allow_remote)
    sock = _bind(host, port)
    server, emu = _server(config, "info")
    try:
        if on_ready is not None:
            on_ready(_url(host, sock.getsockname()[1]))
        server.run(sockets=[sock])
    finally:
        sock.close()
        emu.close()
