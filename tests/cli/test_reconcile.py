"""The plan / apply / audit / export commands: exit codes, TTY rules, output streams and secrets.

In-process through click's CliRunner with ``--emulator`` (state in ``.webpush-iac/`` of a temporary
working directory), and as a real ``webpush-iac`` subprocess against an emulator served on a
loopback socket (``--base-url``), which is how CI pipelines run it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from support.cli import run_cli, run_in_pty
from support.constants import APP_KEY, MASTER_SECRET, QUICKSTART
from support.emulator import Admin
from support.git import commit, init
from support.manifests import in_days, project, project_yaml, single_schedule, to_yaml, write_tree
from support.silent_server import silent_server

from webpush_iac.cli import cli
from webpush_iac.commands.connection import EMULATOR_APP_KEY, EMULATOR_DB, EMULATOR_MASTER_SECRET
from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of, running_server

UNSET = {"WEBPUSH_APP_KEY": None, "WEBPUSH_MASTER_SECRET": None, "WEBPUSH_BASE_URL": None}


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str, env: Mapping[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={**UNSET, **(env or {})})


def embedded_schedules(cwd: Path) -> list[dict[str, Any]]:
    """What the ``--emulator`` state file holds, read through a second app on the same file."""
    app = create_app(
        EmulatorConfig(
            app_key=EMULATOR_APP_KEY,
            master_secret=EMULATOR_MASTER_SECRET,
            db_path=str(cwd / EMULATOR_DB),
        )
    )
    try:
        admin = Admin(app, auth=(EMULATOR_APP_KEY, EMULATOR_MASTER_SECRET))
        return asyncio.run(admin.schedules())
    finally:
        emulator_of(app).close()


def test_quickstart_main_job_pair_converges_with_the_embedded_emulator(in_tmp: Path) -> None:
    before = invoke("plan", str(QUICKSTART), "--emulator", "--detailed-exitcode")
    assert before.exit_code == 2, before.output

    applied = invoke("apply", str(QUICKSTART), "--emulator", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert (in_tmp / EMULATOR_DB).is_file()
    assert list((in_tmp / ".webpush-iac" / "journal").glob("*.jsonl"))

    after = invoke("plan", str(QUICKSTART), "--emulator", "--detailed-exitcode")
    assert after.exit_code == 0, after.output
    audit = invoke("audit", str(QUICKSTART), "--emulator")
    assert audit.exit_code == 0, audit.output


def test_apply_without_auto_approve_refuses_when_not_a_terminal(in_tmp: Path) -> None:
    root = write_tree(
        in_tmp / "m", {"webpush-iac.yaml": project_yaml(), "a.yaml": single_schedule("a")}
    )
    result = invoke("apply", str(root), "--emulator")
    assert result.exit_code == 1
    assert "--auto-approve" in result.stderr
    assert embedded_schedules(in_tmp) == []


def test_json_plan_on_stdout_is_the_saved_plan_and_progress_goes_to_stderr(in_tmp: Path) -> None:
    root = write_tree(
        in_tmp / "m", {"webpush-iac.yaml": project_yaml(), "a.yaml": single_schedule("a")}
    )
    result = invoke("plan", str(root), "--emulator", "--format", "json", "--out", "saved.json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format_version"] == 2
    saved = json.loads((in_tmp / "saved.json").read_text())
    assert saved.pop("signature").startswith("hmac-sha256:")  # only the file is signed
    assert data == saved
    assert "reading schedules" in result.stderr


def test_saved_plan_round_trip_and_refusals(in_tmp: Path) -> None:
    root = write_tree(
        in_tmp / "m", {"webpush-iac.yaml": project_yaml(), "a.yaml": single_schedule("a")}
    )
    assert invoke("plan", str(root), "--emulator", "--out", "p.json").exit_code == 0

    mixed = invoke("apply", str(root), "--plan", "p.json", "--emulator")
    assert mixed.exit_code == 1
    assert "reads no manifests" in mixed.stderr

    data = json.loads((in_tmp / "p.json").read_text())
    data["changes"][0]["requests"][0]["path"] = "/v4/schedules/x"
    (in_tmp / "tampered.json").write_text(json.dumps(data))
    tampered = invoke("apply", "--plan", "tampered.json", "--emulator")
    assert tampered.exit_code == 1
    assert "signature does not match" in tampered.stderr

    no_target = invoke("apply", "--plan", "p.json")
    assert no_target.exit_code == 1
    assert "--emulator" in no_target.stderr

    applied = invoke("apply", "--plan", "p.json", "--emulator", "--format", "json")
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.stdout)["ok"] is True
    assert [s["name"] for s in embedded_schedules(in_tmp)] == ["iac_a"]

    again = invoke("apply", "--plan", "p.json", "--emulator")
    assert again.exit_code == 1  # the create it holds now exists: stale
    assert "live state changed" in again.stderr


def test_safety_threshold_exits_3_for_plan_and_apply(in_tmp: Path) -> None:
    files = {"webpush-iac.yaml": project_yaml(prune=True)}
    files.update({f"s{i}.yaml": single_schedule(f"s{i}") for i in range(10)})
    root = write_tree(in_tmp / "m", files)
    assert invoke("apply", str(root), "--emulator", "--auto-approve").exit_code == 0
    write_tree(
        root,
        {k: v for k, v in files.items() if k not in ("s1.yaml", "s2.yaml", "s3.yaml", "s4.yaml")},
    )

    planned = invoke("plan", str(root), "--emulator")
    assert planned.exit_code == 3
    assert "run 'webpush-iac apply --allow-large-changes' to proceed" in planned.stderr
    assert "re-run with" not in planned.stderr  # plan itself takes no such flag
    assert invoke("plan", str(root), "--emulator", "--allow-large-changes").exit_code == 2
    refused = invoke("apply", str(root), "--emulator", "--auto-approve")
    assert refused.exit_code == 3
    assert len(embedded_schedules(in_tmp)) == 10
    allowed = invoke("apply", str(root), "--emulator", "--auto-approve", "--allow-large-changes")
    assert allowed.exit_code == 0, allowed.output
    assert len(embedded_schedules(in_tmp)) == 6


def test_audit_exits_2_on_drift_and_renders_markdown(in_tmp: Path) -> None:
    root = write_tree(
        in_tmp / "m", {"webpush-iac.yaml": project_yaml(), "a.yaml": single_schedule("a")}
    )
    drift = invoke("audit", str(root), "--emulator", "--format", "markdown")
    assert drift.exit_code == 2
    assert "schedule/a" in drift.stdout
    assert invoke("apply", str(root), "--emulator", "--auto-approve").exit_code == 0
    assert invoke("audit", str(root), "--emulator", "--format", "json").exit_code == 0


# -- a real process over a socket ----------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[tuple[str, httpx.Client]]:
    config = EmulatorConfig(app_key=APP_KEY, master_secret=MASTER_SECRET, max_valid_schedules=3)
    with (
        running_server(config) as url,
        httpx.Client(base_url=url, auth=(APP_KEY, MASTER_SECRET)) as admin,
    ):
        yield url, admin


def test_subprocess_pipeline_over_a_socket_never_shows_the_secret(
    tmp_path: Path, served: tuple[str, httpx.Client]
) -> None:
    url, admin = served
    root = write_tree(
        tmp_path / "m",
        {
            "webpush-iac.yaml": project_yaml(),
            "a.yaml": single_schedule("a"),
            "b.yaml": single_schedule("b", enabled=False),
        },
    )
    admin.post("/_emulator/faults", json={"commit_then_drop": 1}).raise_for_status()
    outputs = [
        run_cli(tmp_path, "plan", str(root), "--base-url", url, "--out", "plan.json", "--debug"),
        run_cli(tmp_path, "apply", "--plan", "plan.json", "--base-url", url, "--debug"),
        run_cli(tmp_path, "plan", str(root), "--base-url", url, "--detailed-exitcode", "--debug"),
    ]
    assert [p.returncode for p in outputs] == [0, 0, 0], [p.stderr for p in outputs]
    names = sorted(s["name"] for s in admin.get("/v4/schedules").json()["schedules"])
    assert names == ["iac_a", "iac_b"]  # the dropped create was found, not repeated

    journals = list((tmp_path / ".webpush-iac" / "journal").glob("*.jsonl"))
    assert len(journals) == 1
    texts = [p.stdout + p.stderr for p in outputs]
    texts += [(tmp_path / "plan.json").read_text(), journals[0].read_text()]
    for text in texts:
        assert MASTER_SECRET not in text
    assert "ambiguous" in journals[0].read_text()


def test_subprocess_partial_apply_exits_4_and_lists_the_failure(
    tmp_path: Path, served: tuple[str, httpx.Client]
) -> None:
    url, _admin = served  # this emulator holds at most 3 valid schedules
    files = {"webpush-iac.yaml": project_yaml(concurrency=1)}
    files.update({f"s{i}.yaml": single_schedule(f"s{i}") for i in range(4)})
    root = write_tree(tmp_path / "m", files)
    result = run_cli(tmp_path, "apply", str(root), "--base-url", url, "--auto-approve")
    assert result.returncode == 4, result.stderr
    assert "1 failed" in result.stderr
    assert MASTER_SECRET not in result.stdout + result.stderr


def test_cli_export_of_the_quickstart_round_trips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"WEBPUSH_APP_KEY": None, "WEBPUSH_MASTER_SECRET": None, "WEBPUSH_BASE_URL": None}
    runner = CliRunner()
    applied = runner.invoke(
        cli, ["apply", str(QUICKSTART), "--emulator", "--auto-approve"], env=env
    )
    assert applied.exit_code == 0, applied.output
    ids = tmp_path / "ids.txt"
    ids.write_text("1a0018970a5c6c1\n160a3797c8f4e2b\n")

    exported = runner.invoke(
        cli, ["export", "--out", "exported", "--emulator", "--registration-ids", str(ids)], env=env
    )
    assert exported.exit_code == 0, exported.output
    assert "wrote" in exported.stdout
    validated = runner.invoke(cli, ["validate", "exported"], env=env)
    assert validated.exit_code == 0, validated.output
    planned = runner.invoke(cli, ["plan", "exported", "--emulator", "--detailed-exitcode"], env=env)
    assert planned.exit_code == 0, planned.output


def test_plan_deletes_duplicate_copies_and_exits_2_with_prune_off(
    tmp_path: Path, served: tuple[str, httpx.Client]
) -> None:
    url, admin = served
    root = write_tree(
        tmp_path / "m",
        {"webpush-iac.yaml": project_yaml(prune=False), "a.yaml": single_schedule("a")},
    )
    assert (
        run_cli(tmp_path, "apply", str(root), "--base-url", url, "--auto-approve").returncode == 0
    )
    (live,) = admin.get("/v4/schedules").json()["schedules"]
    copy = {k: live[k] for k in ("name", "enabled", "trigger", "push")}
    admin.post("/v4/schedules", json=copy).raise_for_status()  # what a second apply would leave

    planned = run_cli(tmp_path, "plan", str(root), "--base-url", url, "--detailed-exitcode")
    assert planned.returncode == 2, planned.stderr
    ids = sorted(s["schedule_id"] for s in admin.get("/v4/schedules").json()["schedules"])
    assert f"2 live schedules are named iac_a ({', '.join(ids)})" in planned.stdout
    assert f"deletes {ids[1]}" in planned.stdout
    assert "1 to delete" in planned.stdout

    applied = run_cli(tmp_path, "apply", str(root), "--base-url", url, "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    assert [s["schedule_id"] for s in admin.get("/v4/schedules").json()["schedules"]] == ids[:1]
    assert (
        run_cli(tmp_path, "plan", str(root), "--base-url", url, "--detailed-exitcode").returncode
        == 0
    )


SILENT = (
    "no answer within 0.2 s (read timeout) after 3 attempts; check the network or raise --timeout"
)
CREDENTIALS: dict[str, str | None] = {
    "WEBPUSH_APP_KEY": APP_KEY,
    "WEBPUSH_MASTER_SECRET": MASTER_SECRET,
}


def test_a_server_that_never_answers_ends_plan_saying_what_timed_out(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "m", {"webpush-iac.yaml": project_yaml(), "a.yaml": single_schedule("a")}
    )
    with silent_server() as server:
        result = run_cli(tmp_path, "plan", str(root), "--base-url", server.url, "--timeout", "0.2")
        assert server.received(3) == [b"GET /v4/schedules?page=1 HTTP/1.1"] * 3
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == f"error: GET /v4/schedules: {SILENT}"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["audit", "m", "--timeout", "0.2"],
        ["export", "--timeout", "0.2"],
        ["apply", "m", "--auto-approve"],  # no flag: the Project's spec.timeout
    ],
    ids=["audit", "export", "apply-with-the-project-timeout"],
)
def test_every_command_that_reads_takes_the_timeout(in_tmp: Path, command: list[str]) -> None:
    settings = project("e2e", timeout=0.2, rate_limit={"qps": 1000, "concurrency": 2})
    write_tree(in_tmp / "m", {"webpush-iac.yaml": to_yaml(settings)})
    with silent_server() as server:
        result = invoke(*command, "--base-url", server.url, env=CREDENTIALS)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1] == f"error: GET /v4/schedules: {SILENT}"


def test_a_timeout_outside_its_range_is_refused_by_the_option() -> None:
    for bad in ("0", "-1", "601", "soon"):
        result = invoke("plan", "--timeout", bad)
        assert result.exit_code == 2, bad
        assert "--timeout" in result.output


# --- error lines written for a pull request are masked ------------------------------------------

RID, OTHER, ALIAS = "1a0018970a5c6c1f", "160a3797c8f4e2b9", "qa_anna_x"


def conflicting_manifests(root: Path) -> Path:
    """Manifests whose only problems name devices: an alias on two, a member also removed."""
    settings = project_yaml()
    devices = (
        "apiVersion: webpush-iac/v1\nkind: Device\nmetadata: {name: a}\n"
        f"spec: {{registration_id: '{RID}', alias: {ALIAS}}}\n---\n"
        "apiVersion: webpush-iac/v1\nkind: Device\nmetadata: {name: b}\n"
        f"spec: {{registration_id: '{OTHER}', alias: {ALIAS}, tags: [beta]}}\n---\n"
        "apiVersion: webpush-iac/v1\nkind: Tag\nmetadata: {name: beta}\n"
        f"spec: {{remove: ['{OTHER}']}}\n"
    )
    return write_tree(root / "m", {"webpush-iac.yaml": settings, "devices.yaml": devices})


@pytest.mark.parametrize("command", ["plan", "apply", "audit"])
def test_markdown_output_masks_identifiers_in_error_lines(in_tmp: Path, command: str) -> None:
    root = conflicting_manifests(in_tmp)
    result = invoke(command, str(root), "--emulator", "--format", "markdown")
    assert result.exit_code == 1
    assert f"bound to device {RID[:4]}…{RID[-4:]}" in result.stderr
    assert f"device {OTHER[:4]}…{OTHER[-4:]} is also given tag 'beta'" in result.stderr
    for raw in (RID, OTHER, ALIAS):
        assert raw not in result.stderr


@pytest.mark.parametrize("extra", [["--format", "markdown", "--show-identifiers"], []])
def test_error_lines_keep_identifiers_unless_written_for_a_pull_request(
    in_tmp: Path, extra: list[str]
) -> None:
    root = conflicting_manifests(in_tmp)
    result = invoke("plan", str(root), "--emulator", *extra)
    assert result.exit_code == 1
    assert f"alias '{ALIAS}' is already bound to device {RID}" in result.stderr


# -- apply --plan: its own credential names, and every malformed file a one-line refusal ---------


@pytest.fixture
def served_plan(in_tmp: Path) -> Iterator[tuple[str, Path]]:
    """A saved plan made against a served emulator with the test credentials."""
    root = write_tree(
        in_tmp / "m", {"webpush-iac.yaml": project_yaml(), "a.yaml": single_schedule("a")}
    )
    with running_server(EmulatorConfig(app_key=APP_KEY, master_secret=MASTER_SECRET)) as url:
        creds = {"WEBPUSH_APP_KEY": APP_KEY, "WEBPUSH_MASTER_SECRET": MASTER_SECRET}
        planned = invoke("plan", str(root), "--base-url", url, "--out", "p.json", env=creds)
        assert planned.exit_code == 0, planned.output
        yield url, in_tmp / "p.json"


def test_apply_plan_reads_credentials_from_the_variables_its_options_name(
    served_plan: tuple[str, Path],
) -> None:
    url, _plan = served_plan
    prod = {"PROD_KEY": APP_KEY, "PROD_SECRET": MASTER_SECRET}
    missing = invoke("apply", "--plan", "p.json", "--base-url", url, env=prod)
    assert missing.exit_code == 1
    assert "WEBPUSH_APP_KEY and WEBPUSH_MASTER_SECRET" in missing.stderr

    named = ["--app-key-env", "PROD_KEY", "--master-secret-env", "PROD_SECRET"]
    wrong = invoke("apply", "--plan", "p.json", "--base-url", url, *named,
                   env={"PROD_KEY": APP_KEY, "PROD_SECRET": "not-the-secret"})  # fmt: skip
    assert wrong.exit_code == 1
    assert "signature does not match" in wrong.stderr

    applied = invoke("apply", "--plan", "p.json", "--base-url", url, *named, env=prod)
    assert applied.exit_code == 0, applied.output
    assert MASTER_SECRET not in applied.output


def test_credential_name_options_only_apply_with_a_plan(in_tmp: Path) -> None:
    root = write_tree(in_tmp / "m", {"webpush-iac.yaml": project_yaml()})
    result = invoke("apply", str(root), "--emulator", "--app-key-env", "PROD_KEY")
    assert result.exit_code == 1
    assert "only apply with --plan" in result.stderr
    bad = invoke("apply", "--plan", "p.json", "--emulator", "--master-secret-env", "A-B")
    assert bad.exit_code == 1
    assert "not an environment variable name" in bad.stderr


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{",
        '{"format_version": 2, "signature": 5}',
        '{"a": 1, "a": 2}',
        "[" * 50_000,
        '{"max_delete_percent": NaN}',
        "\ufeff{}",
        "\x00\xff",
    ],
)
def test_malformed_plan_file_is_a_one_line_refusal(in_tmp: Path, content: str) -> None:
    (in_tmp / "bad.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    result = invoke("apply", "--plan", "bad.json", "--emulator")
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # the error boundary, not a crash
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (in_tmp / EMULATOR_DB).exists()  # refused before the emulator was even built


def test_plan_file_that_is_not_a_regular_file_is_refused_without_reading(in_tmp: Path) -> None:
    os.mkfifo(in_tmp / "fifo")  # opening it would block until a writer comes
    for path in ("fifo", str(in_tmp), "/dev/zero"):
        result = invoke("apply", "--plan", path, "--emulator")
        assert result.exit_code == 1, result.output
        assert "not a regular file" in result.stderr


def test_a_new_past_single_fails_plan_with_a_baseline_and_only_warns_without(in_tmp: Path) -> None:
    repo = init(in_tmp / "repo")
    base = commit(repo, {"webpush-iac.yaml": project_yaml()}, "empty project")
    write_tree(
        repo,
        {
            "webpush-iac.yaml": project_yaml(),
            "a.yaml": single_schedule("launch", time=in_days(-1)),
        },
    )
    strict = invoke("plan", str(repo), "--emulator", "--baseline", base)
    assert strict.exit_code == 1, strict.output
    assert "schedule/launch" in strict.stdout
    assert "would never be sent" in strict.stdout + strict.stderr
    loose = invoke("plan", str(repo), "--emulator", "--detailed-exitcode")
    assert loose.exit_code == 0, loose.output  # warnings are not changes
    assert "Warnings (1):" in loose.stdout
    assert "past_absent_unknown  schedule/launch" in loose.stdout
    as_json = invoke("plan", str(repo), "--emulator", "--format", "json")
    assert [w["code"] for w in json.loads(as_json.stdout)["warnings"]] == ["past_absent_unknown"]


def test_ctrl_c_at_the_apply_prompt_aborts_at_once_and_journals_nothing(in_tmp: Path) -> None:
    files = {
        "webpush-iac.yaml": project_yaml(prune=True),
        "a.yaml": single_schedule("a"),
        "b.yaml": single_schedule("b"),
    }
    root = write_tree(in_tmp / "m", files)
    first = run_cli(in_tmp, "apply", str(root), "--emulator", "--auto-approve")
    assert first.returncode == 0, first.stderr
    journal = in_tmp / ".webpush-iac" / "journal"
    journals = sorted(journal.glob("*.jsonl"))
    write_tree(root, {k: v for k, v in files.items() if k != "b.yaml"})  # plan: delete b

    # One ctrl-C, then a "y" a person might type next: the first must already have ended it.
    run = run_in_pty(
        in_tmp, "apply", str(root), "--emulator", prompt="Apply these changes?", keys=b"\x03y\r"
    )
    assert run.returncode == 130, run.output
    assert "interrupted by SIGINT at the confirmation prompt: nothing was sent" in run.output
    assert "Traceback" not in run.output
    assert sorted(journal.glob("*.jsonl")) == journals  # no journal, so no intent
    assert sorted(s["name"] for s in embedded_schedules(in_tmp)) == ["iac_a", "iac_b"]


def test_cli_export_path_exports_a_project_with_its_own_prefix(in_tmp: Path) -> None:
    files = {"webpush-iac.yaml": project_yaml(prefix="acme_"), "a.yaml": single_schedule("a")}
    root = write_tree(in_tmp / "m", files)
    assert invoke("apply", str(root), "--emulator", "--auto-approve").exit_code == 0
    exported = invoke("export", str(root), "--out", "exported", "--emulator")
    assert exported.exit_code == 0, exported.output
    assert (in_tmp / "exported" / "schedules" / "a.yaml").is_file()
    assert "not owned" not in exported.stderr
    planned = invoke("plan", "exported", "--emulator", "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    broken = invoke("export", str(in_tmp / "nowhere"), "--out", "x", "--emulator")
    assert broken.exit_code == 1
    assert "nowhere: no such file or directory" in broken.stderr


def test_debug_shows_the_tools_own_detail_and_debug_twice_the_transports(
    tmp_path: Path, served: tuple[str, httpx.Client]
) -> None:
    url, _admin = served
    root = write_tree(
        tmp_path / "m", {"webpush-iac.yaml": project_yaml(), "a.yaml": single_schedule("a")}
    )
    once = run_cli(tmp_path, "plan", str(root), "--base-url", url, "--debug")
    assert once.returncode == 0, once.stderr
    lines = once.stderr.splitlines()
    assert any(
        line.startswith("debug: webpush_iac.client: GET /v4/schedules -> 200 (attempt 1, ")
        for line in lines
    )
    assert not [line for line in lines if "httpcore" in line or "httpx" in line]
    assert len(lines) < 20  # one line per request, not the transport's ~220
    twice = run_cli(tmp_path, "plan", str(root), "--base-url", url, "--debug", "--debug")
    assert twice.returncode == 0, twice.stderr
    assert "httpcore" in twice.stderr
    token = base64.b64encode(f"{APP_KEY}:{MASTER_SECRET}".encode()).decode()
    for run in (once, twice):
        assert MASTER_SECRET not in run.stdout + run.stderr
        assert token not in run.stderr
        assert "authorization" not in run.stderr.lower()
