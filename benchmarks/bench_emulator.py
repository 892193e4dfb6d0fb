"""Benchmark: the emulator's own CPU per request, over a socket (uvicorn) and in process (ASGI).

Each source tree named by ``--tree LABEL=PATH`` is measured in fresh subprocesses importing
``webpush_iac`` from that tree, so an older commit (``git archive <rev> webpush_iac | tar -x -C
DIR``) and the working tree are compared side by side in one run. Workloads, each after seeding
1,000 devices and 500 schedules: ``GET /v4/devices/{rid}`` over every device, and ``GET
/v4/schedules?page=N`` over the 10 pages.

- socket: ``webpush-iac emulator serve`` in a child process; one keep-alive httpx client in this
  process sends the requests one after the other; CPU = the child's utime+stime (``/proc``)
  across the loop / requests. The client's CPU is not counted.
- in process: the app called as a bare ASGI callable (no httpx) in a child process; CPU =
  ``time.process_time()`` across the loop / requests. ``--profile`` prints a cProfile of it.

Run: ``.venv/bin/python benchmarks/bench_emulator.py --tree before=/tmp/emu-before --tree after=.``
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

APP_KEY = "bench-app-key"
MASTER_SECRET = "bench-master-secret-do-not-leak"
DEVICES = 1000
SCHEDULES = 500
NOW = "2030-01-01 00:00:00"
PUSH = {
    "to": {"tag": ["bench_all"]},
    "body": {
        "platform": "web",
        "notification": {"web": {"alert": "Edition", "url": "https://example.com/d"}},
        "options": {"time_to_live": 3600},
    },
}


def _schedule(index: int) -> dict[str, Any]:
    return {
        "name": f"s{index:04d}",
        "enabled": True,
        "trigger": {"single": {"time": f"2030-0{1 + index % 9}-15 09:00:00", "zone_type": 1}},
        "push": PUSH,
    }


def _rid(index: int) -> str:
    return f"1a0{index:016x}"


def _workloads(requests: int) -> dict[str, list[tuple[str, str]]]:
    pages = -(-SCHEDULES // 50)
    return {
        "GET /v4/devices/{rid}": [
            ("/v4/devices/" + _rid(i % DEVICES), "") for i in range(requests)
        ],
        "GET /v4/schedules?page=N": [
            ("/v4/schedules", f"page={1 + i % pages}") for i in range(requests)
        ],
    }


# --- in process (child) ------------------------------------------------------------------------


def _inprocess(requests: int, profile: bool, db: str) -> dict[str, float]:
    from webpush_iac.emulator import EmulatorConfig, create_app

    print(f"emulator from {sys.modules['webpush_iac'].__file__}", file=sys.stderr)
    app = create_app(EmulatorConfig(APP_KEY, MASTER_SECRET, db_path=db))
    auth = b"Basic " + base64.b64encode(f"{APP_KEY}:{MASTER_SECRET}".encode())

    async def call(method: str, path: str, query: str = "", body: Any = None) -> int:
        raw = b"" if body is None else json.dumps(body).encode()
        headers = [(b"host", b"emulator.test"), (b"authorization", auth)]
        if raw:
            headers += [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
            ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("emulator.test", 80),
        }
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    async def run() -> dict[str, float]:
        await call("POST", "/_emulator/clock", body={"now": NOW})
        devices = [{"registration_id": _rid(i), "tags": ["bench_all"]} for i in range(DEVICES)]
        await call("POST", "/_emulator/devices", body={"devices": devices})
        for index in range(SCHEDULES):
            assert await call("POST", "/v4/schedules", body=_schedule(index)) == 200
        results: dict[str, float] = {}
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        for name, calls in _workloads(requests).items():
            started = time.process_time()
            for path, query in calls:
                assert await call("GET", path, query) == 200
            results[name] = (time.process_time() - started) / len(calls) * 1000
        if profiler is not None:
            import io
            import pstats

            profiler.disable()
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(30)
            print(text.getvalue(), file=sys.stderr)
        return results

    return asyncio.run(run())


# --- over a socket (this process is the client) ------------------------------------------------


def _child_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _socket(tree: Path, requests: int, db: str, faults: dict[str, Any]) -> dict[str, float]:
    import httpx

    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "WEBPUSH_APP_KEY": APP_KEY,
        "WEBPUSH_MASTER_SECRET": MASTER_SECRET,
    }
    command = [sys.executable, "-m", "webpush_iac", "emulator", "serve", "--port", "0", "--db", db]
    # cwd=tree: ``-m`` puts the working directory first on sys.path, so that tree is imported.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True, cwd=tree
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[1].strip()
        results: dict[str, float] = {}
        with httpx.Client(base_url=url, auth=(APP_KEY, MASTER_SECRET), timeout=30) as client:
            client.post("/_emulator/clock", json={"now": NOW}).raise_for_status()
            devices = [{"registration_id": _rid(i), "tags": ["bench_all"]} for i in range(DEVICES)]
            client.post("/_emulator/devices", json={"devices": devices}).raise_for_status()
            for index in range(SCHEDULES):
                client.post("/v4/schedules", json=_schedule(index)).raise_for_status()
            client.post("/_emulator/faults", json=faults).raise_for_status()
            for name, calls in _workloads(requests).items():
                started = _child_cpu(process.pid)
                for path, query in calls:
                    client.get(path, params=query).raise_for_status()
                results[name] = (_child_cpu(process.pid) - started) / len(calls) * 1000
        for name, calls in _workloads(requests).items():
            started = _child_cpu(process.pid)
            asyncio.run(_concurrently(url, calls))
            results[f"{name}, {CONCURRENCY} at once"] = (
                (_child_cpu(process.pid) - started) / len(calls) * 1000
            )
        return results
    finally:
        process.terminate()
        process.wait(timeout=20)


CONCURRENCY = 32  # the reconciler's default in-flight cap


async def _concurrently(url: str, calls: list[tuple[str, str]]) -> None:
    """The calls from CONCURRENCY keep-alive connections at once: the server under load."""
    import httpx

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    queue = list(reversed(calls))
    async with httpx.AsyncClient(
        base_url=url, auth=(APP_KEY, MASTER_SECRET), timeout=30, limits=limits
    ) as client:

        async def worker() -> None:
            while queue:
                path, query = queue.pop()
                (await client.get(path, params=query)).raise_for_status()

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tree", action="append", default=[], help="LABEL=PATH (repeatable)")
    parser.add_argument("--requests", type=int, default=5000, help="requests per workload")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process loop")
    parser.add_argument("--file-db", action="store_true", help="SQLite in a file (WAL), not memory")
    parser.add_argument(
        "--faults",
        default="{}",
        help='socket runs: POST /_emulator/faults body, e.g. {"latency_ms": 5}',
    )
    parser.add_argument("--db", default=":memory:", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_inprocess(args.requests, args.profile, args.db)))
        return
    trees = [tuple(t.split("=", 1)) for t in args.tree] or [("this tree", ".")]
    rows: list[str] = []
    scratch = tempfile.TemporaryDirectory()
    for index, (label, path) in enumerate(trees):
        tree = Path(path).resolve()
        env = {**os.environ, "PYTHONPATH": str(tree)}
        db = ":memory:"
        if args.file_db:
            db = str(Path(scratch.name) / f"{index}.sqlite")
        command = [sys.executable, __file__, "--child", "--requests", str(args.requests)]
        command += ["--db", db + "-inprocess" if args.file_db else db]
        if args.profile:
            command.append("--profile")
        done = subprocess.run(
            command, check=True, capture_output=True, text=True, env=env, cwd=tree
        )
        print(done.stderr.strip(), file=sys.stderr)
        inproc = json.loads(done.stdout)
        socket = _socket(tree, args.requests, db, json.loads(args.faults))
        for name, cpu in socket.items():
            local = f"{inproc[name]:.3f}" if name in inproc else "—"
            rows.append(f"| {label} | {name} | {cpu:.3f} | {local} |")
    scratch.cleanup()
    print("| tree | workload | socket CPU ms/request | in-process CPU ms/request |")
    print("|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
