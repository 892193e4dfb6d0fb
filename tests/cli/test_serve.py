"""``webpush-iac emulator serve``: refuses unsafe hosts, serves, never echoes the secret."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
from click.testing import CliRunner
from support.constants import APP_KEY, MASTER_SECRET

from webpush_iac.cli import cli


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
