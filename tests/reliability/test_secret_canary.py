"""Secret canary (issue 5, design §7): a distinctive master secret, and the Basic token built from
it, never appear in any stdout, stderr, plan file, journal, exported manifest, log record, or the
emulator's SQLite file and request log, across every command and its error paths.

One test drives every command in one working directory, so the final sweep can read *every* file
any of them wrote: a leak into a file nobody thought to check is caught too. Commands run in
process through click's CliRunner (so ``caplog`` sees every log record at DEBUG, httpx and
uvicorn included), against the emulator over a loopback socket, and with ``--debug`` wherever a
traceback could be printed. The error paths: a wrong secret (401), a server that answers 500 and
echoes the request's credentials back in its error text, and a tampered saved plan.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner, Result
from support.constants import APP_KEY
from support.manifests import project_yaml, single_schedule, write_tree

from webpush_iac.cli import cli
from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of, running_server

CANARY = "zq-Canary-M4ster-Secret-7c1e"
TOKEN = base64.b64encode(f"{APP_KEY}:{CANARY}".encode()).decode()
FORMS = (CANARY, TOKEN, base64.b64encode(CANARY.encode()).decode().rstrip("="))
ENV = {"WEBPUSH_APP_KEY": APP_KEY, "WEBPUSH_MASTER_SECRET": CANARY, "WEBPUSH_BASE_URL": None}


def leaks(text: str | bytes) -> list[str]:
    data = text.encode("utf-8", errors="surrogatepass") if isinstance(text, str) else text
    return [form for form in FORMS if form.encode() in data]


class Transcript:
    """Every command's exit code, stdout and stderr, checked as they come and kept for the end."""

    def __init__(self) -> None:
        self.outputs: list[tuple[str, str]] = []

    def run(self, *args: str, expect: int | tuple[int, ...] = 0, env: Any = None) -> Result:
        result = CliRunner().invoke(cli, list(args), env={**ENV, **(env or {})})
        expected = expect if isinstance(expect, tuple) else (expect,)
        assert result.exit_code in expected, (args, result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), args
        self.outputs.append((" ".join(args), result.stdout + result.stderr))
        assert leaks(result.stdout + result.stderr) == [], args
        return result


class EchoingFailures:
    """ASGI wrapper: schedule creates get an HTTP 500 whose message echoes the Authorization
    header and the decoded secret, as a careless server might; everything else passes through."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) != ("POST", "/v4/schedules"):
            await self.app(scope, receive, send)
            return
        auth = dict(scope["headers"]).get(b"authorization", b"").decode()
        decoded = base64.b64decode(auth.partition(" ")[2] or "").decode(errors="replace")
        message = f"internal error for {auth} ({decoded})"
        body = json.dumps({"error": {"code": 28200, "message": message}}).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 500, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve any ASGI app on a free loopback port (the emulator's helper serves only its own)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None)
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive()
            time.sleep(0.005)  # readiness poll
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def serve_briefly(cwd: Path) -> str:
    """``webpush-iac emulator serve`` as a real process: its URL line, then SIGINT."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEBPUSH_")}
    env.update({"WEBPUSH_APP_KEY": APP_KEY, "WEBPUSH_MASTER_SECRET": CANARY})
    command = [sys.executable, "-m", "webpush_iac", "emulator", "serve", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--db", str(cwd / "served.sqlite"), "--debug"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        cwd=cwd,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.rsplit(" ", 1)[1].strip()
        assert httpx.get(f"{url}/v4/tags", auth=(APP_KEY, CANARY), timeout=10).status_code == 200
        assert httpx.get(f"{url}/v4/tags", auth=(APP_KEY, "wrong"), timeout=10).status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    return line + out + err


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_master_secret_never_leaks_from_any_command(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    run = Transcript().run
    files = {"webpush-iac.yaml": project_yaml(), "a.yaml": single_schedule("a", enabled=False)}
    root = str(write_tree(workdir / "m", files))
    (workdir / "rids.txt").write_text("d1\n")

    # offline commands
    run("validate", root, "--debug")
    run("validate", root, "--format", "json")
    run("render", root, "--format", "yaml", "--debug")
    run("render", root, "--format", "json")
    run("schema", "--out", "schemas", "--debug")

    db = workdir / "emulator.sqlite"
    config = EmulatorConfig(app_key=APP_KEY, master_secret=CANARY, db_path=str(db))
    with running_server(config) as url:
        httpx.post(
            f"{url}/_emulator/devices",
            json={"devices": [{"registration_id": "d1", "tags": ["beta"]}]},
            auth=(APP_KEY, CANARY),
        ).raise_for_status()
        on = ("--base-url", url, "--debug")
        for fmt in ("text", "markdown", "json"):
            run("plan", root, *on, "--format", fmt, "--out", f"plan-{fmt}.json", expect=0)
        run("plan", root, *on, "--detailed-exitcode", expect=2)
        for fmt in ("text", "markdown", "json"):
            run("audit", root, *on, "--format", fmt, expect=2)

        plan = json.loads((workdir / "plan-json.json").read_text())
        plan["changes"][0]["requests"][0]["body"]["name"] = "iac_tampered"
        (workdir / "tampered.json").write_text(json.dumps(plan))
        run("apply", "--plan", "tampered.json", *on, expect=1)
        run("apply", "--plan", "plan-json.json", *on, "--format", "json")

        write_tree(workdir / "m", {**files, "b.yaml": single_schedule("b")})
        run("apply", root, *on, "--auto-approve")
        run("audit", root, *on, expect=0)
        run("export", "--out", "exported", "--registration-ids", "rids.txt", *on)
        # the wrong secret: 401, said without the secret that was sent
        wrong = run("plan", root, *on, expect=1, env={"WEBPUSH_MASTER_SECRET": CANARY + "-x"})
        assert "401" in wrong.stderr or "authentication" in wrong.stderr.lower()
        log = httpx.get(
            f"{url}/_emulator/requests", params={"limit": 1000}, auth=(APP_KEY, CANARY)
        ).text
        assert leaks(log) == []

    # a server that answers 500 and echoes the credentials it was sent
    app = create_app(EmulatorConfig(app_key=APP_KEY, master_secret=CANARY))
    try:
        with serve(EchoingFailures(app)) as url:
            write_tree(workdir / "m", {**files, "c.yaml": single_schedule("c")})
            failed = run("apply", root, "--base-url", url, "--auto-approve", "--debug", expect=4)
            # the echo reached the report, scrubbed: proof the check below is not vacuous
            assert "internal error for Basic ***" in failed.stdout + failed.stderr
    finally:
        emulator_of(app).close()

    # the embedded emulator keeps its state (and must not keep the secret) in .webpush-iac/
    run("apply", root, "--emulator", "--auto-approve", "--debug")
    run("plan", root, "--emulator", "--format", "markdown", "--show-identifiers")

    served = serve_briefly(workdir)
    assert leaks(served) == [], served

    records = "\n".join(
        f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records
    )
    assert caplog.records
    assert leaks(records) == [], [r.getMessage() for r in caplog.records if leaks(r.getMessage())]

    written = [p for p in workdir.rglob("*") if p.is_file()]
    names = {p.name for p in written}
    assert {"plan-json.json", "tampered.json", "emulator.sqlite", "served.sqlite"} <= names
    assert list((workdir / ".webpush-iac" / "journal").glob("*.jsonl"))
    assert list((workdir / "exported").rglob("*.yaml"))
    assert [str(p) for p in written if leaks(p.read_bytes())] == []
