"""Shared fixtures. Emulator fixtures (owned by the emulator work; keep their names stable):

- ``emulator_config``: an in-memory :class:`EmulatorConfig` accepting :data:`APP_KEY` /
  :data:`MASTER_SECRET`;
- ``emulator_app``: a fresh Starlette app for ``httpx.ASGITransport`` (in-process);
- ``emulator_url``: the same emulator served by uvicorn on a free loopback port;
- ``emulator_client``: an ``httpx.AsyncClient`` on ``emulator_app`` with Basic auth set.

:data:`MASTER_SECRET` is a distinctive canary: assert it never shows up in output, logs, plans,
journals or exception text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette

from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of, running_server

APP_KEY = "test-app-key"
MASTER_SECRET = "canary-secret-9f8e7d6c5b4a"  # a canary: must never appear in any output
EMULATOR_BASE_URL = "http://emulator.test"  # host name used for in-process clients


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(app_key=APP_KEY, master_secret=MASTER_SECRET)


@pytest.fixture
def emulator_app(emulator_config: EmulatorConfig) -> Iterator[Starlette]:
    app = create_app(emulator_config)
    yield app
    emulator_of(app).close()


@pytest.fixture
def emulator_url(emulator_config: EmulatorConfig) -> Iterator[str]:
    with running_server(emulator_config) as url:
        yield url


@pytest.fixture
async def emulator_client(emulator_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator_app)
    async with httpx.AsyncClient(
        transport=transport, base_url=EMULATOR_BASE_URL, auth=(APP_KEY, MASTER_SECRET)
    ) as client:
        yield client
