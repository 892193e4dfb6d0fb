"""Fixtures every test area may use: the emulator (keep their names stable).

- ``emulator_config``: an in-memory :class:`EmulatorConfig` accepting
  :data:`~support.constants.APP_KEY` / :data:`~support.constants.MASTER_SECRET`;
- ``emulator_app``: a fresh Starlette app for ``httpx.ASGITransport`` (in-process);
- ``emulator_url``: the same emulator served by uvicorn on a free loopback port;
- ``emulator_client``: an ``httpx.AsyncClient`` on ``emulator_app`` with Basic auth set.

Fixtures live in ``conftest.py`` files because pytest finds them there; helpers that tests import
live in :mod:`support` (``tests/support/``), and nothing imports a conftest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET

from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of, running_server


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
