"""``webpush-iac emulator serve``: refuses unsafe hosts, serves, never echoes the secret."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner
from conftest import APP_KEY, MASTER_SECRET

from webpush_iac.cli import cli
from webpush_iac.emulator.server import check_host


def test_serve_refuses_a_non_loopback_host_without_allow_remote():
    result = CliRunner().invoke(
        cli,
        ["emulator", "serve", "--host", "0.0.0.0", "--app-key", APP_KEY],
        env={"WEBPUSH_MASTER_SECRET": MASTER_SECRET},
    )
    assert result.exit_code == 1
    assert "--allow-remote" in result.output
    assert MASTER_SECRET not in result.output


def test_serve_needs_credentials():
    result = CliRunner().invoke(
        cli,
        ["emulator", "serve", "--port", "0"],
        env={"WEBPUSH_APP_KEY": "", "WEBPUSH_MASTER_SECRET": ""},
    )
    assert result.exit_code == 1
    assert "WEBPUSH_MASTER_SECRET" in result.output


def test_serve_refuses_an_unknown_timezone_without_echoing_the_secret():
    result = CliRunner().invoke(
        cli,
        ["emulator", "serve", "--port", "0", "--timezone", "Nowhere/Land"],
        env={"WEBPUSH_APP_KEY": APP_KEY, "WEBPUSH_MASTER_SECRET": MASTER_SECRET},
    )
    assert result.exit_code == 1
    assert "Nowhere/Land" in result.output
    assert MASTER_SECRET not in result.output


def test_serve_prints_its_url_and_answers_with_the_configured_credentials():
    env = {**os.environ, "WEBPUSH_APP_KEY": APP_KEY, "WEBPUSH_MASTER_SECRET": MASTER_SECRET}
    process = subprocess.Popen(
        [sys.executable, "-m", "webpush_iac", "emulator", "serve", "--port", "0", "--qps", "100"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("webpush-iac emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        answer = httpx.get(f"{url}/v4/tags", auth=(APP_KEY, MASTER_SECRET), timeout=10)
        assert answer.status_code == 200
        assert answer.json() == {"tags": []}
        wrong = httpx.get(f"{url}/v4/tags", auth=(APP_KEY, "nope"), timeout=10)
        assert wrong.status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert MASTER_SECRET not in line + out + err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts_are_allowed(host):
    check_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_other_hosts_need_allow_remote(host):
    with pytest.raises(ValueError, match="allow-remote"):
        check_host(host)
    check_host(host, allow_remote=True)
