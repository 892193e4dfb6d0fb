"""The GitOps files users copy (examples/ci, .pre-commit-hooks.yaml) do what the README says.

What can run here runs for real: the comment script against a fake GitHub/GitLab on 127.0.0.1,
the saved-plan artifact round trip through two CLI processes and a socket emulator, the workflow
shell steps with a stub ``webpush-iac``, and the pre-commit entry. What only GitHub can run (the
``uses:`` actions, ``if:`` expressions) is checked as invariants of the parsed YAML.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from ruamel.yaml import YAML
from support.cli import run_cli
from support.constants import APP_KEY, MASTER_SECRET, REPO
from support.git import git
from support.manifests import device, project, tag, to_yaml, write_tree

from webpush_iac.render.masking import mask_rid

CI = REPO / "examples" / "ci"
WORKFLOWS = CI / "github-actions"
TOKEN = "ghp_canaryToken0123456789abcdef"  # must never be printed


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "plan_comment", CI / "scripts" / "plan_comment.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["plan_comment"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


plan_comment = _load_script()


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))  # YAML 1.2: `on` stays a key


# -- a fake GitHub / GitLab ------------------------------------------------------------------


@dataclass
class FakeForge:
    """Comments of one pull request (GitHub) or notes of one merge request (GitLab)."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    next_id: int = 1000
    next_link_origin: str | None = None  # make the "next" link point elsewhere

    def add(self, body: str) -> int:
        self.next_id += 1
        self.comments.append({"id": self.next_id, "body": body, "user": {"login": "someone"}})
        return self.next_id

    def marked(self, marker: str = plan_comment.DEFAULT_MARKER) -> list[dict[str, Any]]:
        return [c for c in self.comments if marker in c["body"]]


@pytest.fixture
def forge() -> Iterator[tuple[FakeForge, str]]:
    state = FakeForge()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            return None

        def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw)

        def _handle(self) -> None:
            url = urlsplit(self.path)
            state.calls.append((self.command, url.path))
            token = self.headers.get("Authorization") or self.headers.get("PRIVATE-TOKEN") or ""
            state.auth.append(token)
            if TOKEN not in token:
                self._reply(401, {"message": "Bad credentials"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            body: Any = json.loads(self.rfile.read(length)) if length else None
            parts = url.path.strip("/").split("/")
            if self.command == "GET" and parts[-1] in ("comments", "notes"):
                query = parse_qs(url.query)
                per_page = int(query.get("per_page", ["30"])[0])
                page = int(query.get("page", ["1"])[0])
                items = state.comments[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(state.comments):
                    origin = state.next_link_origin or f"http://{self.headers['Host']}"
                    nxt = f"{origin}{url.path}?per_page={per_page}&page={page + 1}"
                    headers["Link"] = f'<{nxt}>; rel="next"'
                self._reply(200, items, headers)
            elif self.command == "POST" and parts[-1] in ("comments", "notes"):
                self._reply(201, {"id": state.add(body["body"]), "body": body["body"]})
            elif self.command in ("PATCH", "PUT"):
                wanted = int(parts[-1])
                for comment in state.comments:
                    if comment["id"] == wanted:
                        comment["body"] = body["body"]
                        self._reply(200, comment)
                        return
                self._reply(404, {"message": "Not Found"})
            else:
                self._reply(404, {"message": "Not Found"})

        do_GET = do_POST = do_PATCH = do_PUT = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def github_env(url: str) -> dict[str, str]:
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "acme/site", "GITHUB_API_URL": url}


def post(tmp_path: Path, env: dict[str, str], body: str, *extra: str) -> int:
    body_file = tmp_path / "comment.md"
    body_file.write_text(body, encoding="utf-8")
    return int(plan_comment.main(["--body-file", str(body_file), "--pr", "7", *extra], env))


# -- the comment script ----------------------------------------------------------------------


def test_comment_is_created_once_then_updated_in_place(
    forge: tuple[FakeForge, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = forge
    state.add("LGTM")
    assert post(tmp_path, github_env(url), "plan v1") == 0
    assert post(tmp_path, github_env(url), "plan v2") == 0
    (ours,) = state.marked()
    assert ours["body"] == f"{plan_comment.DEFAULT_MARKER}\nplan v2"
    assert ("POST", "/repos/acme/site/issues/7/comments") in state.calls
    assert ("PATCH", f"/repos/acme/site/issues/comments/{ours['id']}") in state.calls
    assert [c for c in state.calls if c[0] == "POST"] == [
        ("POST", "/repos/acme/site/issues/7/comments")
    ]
    assert all(a == f"Bearer {TOKEN}" for a in state.auth)
    out = capsys.readouterr()
    assert TOKEN not in out.out + out.err
    assert f"updated comment {ours['id']}" in out.out


def test_marker_is_found_among_many_comments_across_pages(
    forge: tuple[FakeForge, str], tmp_path: Path
) -> None:
    state, url = forge
    for i in range(230):
        state.add(f"review comment {i}")
    marked_id = state.add(f"{plan_comment.DEFAULT_MARKER}\nold plan")
    for i in range(40):
        state.add(f"later comment {i}")
    assert post(tmp_path, github_env(url), "new plan") == 0
    assert len(state.comments) == 271  # nothing created
    (ours,) = state.marked()
    assert ours["id"] == marked_id
    assert ours["body"].endswith("new plan")
    pages = [c for c in state.calls if c[0] == "GET"]
    assert len(pages) == 3  # 100 + 100 + the page holding the marker


def test_a_60000_character_plan_is_posted_whole_and_a_larger_one_truncated_with_a_note(
    forge: tuple[FakeForge, str], tmp_path: Path
) -> None:
    state, url = forge
    big = "| row |\n" * 7500  # 60,000 characters: the markdown renderer's cap
    assert len(big) == 60_000
    assert post(tmp_path, github_env(url), big) == 0
    assert state.marked()[0]["body"] == f"{plan_comment.DEFAULT_MARKER}\n{big}"

    huge = "é" * 70_000
    assert post(tmp_path, github_env(url), huge) == 0
    (ours,) = state.marked()
    assert len(ours["body"]) == plan_comment.BODY_LIMITS["github"]
    assert ours["body"].startswith(plan_comment.DEFAULT_MARKER)
    assert ours["body"].endswith(plan_comment.TRUNCATION_NOTE)


def test_gitlab_mode_updates_one_merge_request_note_with_a_private_token(
    forge: tuple[FakeForge, str], tmp_path: Path
) -> None:
    state, url = forge
    env = {
        "GITLAB_TOKEN": TOKEN,
        "CI_API_V4_URL": url + "/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "9",
    }
    body = tmp_path / "c.md"
    body.write_text("plan v1")
    assert plan_comment.main(["--provider", "gitlab", "--body-file", str(body)], env) == 0
    body.write_text("plan v2")
    assert plan_comment.main(["--provider", "gitlab", "--body-file", str(body)], env) == 0
    (ours,) = state.marked()
    assert ours["body"].endswith("plan v2")
    assert ("PUT", f"/api/v4/projects/42/merge_requests/9/notes/{ours['id']}") in state.calls
    assert set(state.auth) == {TOKEN}


def test_pull_request_number_comes_from_the_github_event(
    forge: tuple[FakeForge, str], tmp_path: Path
) -> None:
    state, url = forge
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 31}}))
    body = tmp_path / "c.md"
    body.write_text("plan")
    env = {**github_env(url), "GITHUB_EVENT_PATH": str(event)}
    assert plan_comment.main(["--body-file", str(body)], env) == 0
    assert ("POST", "/repos/acme/site/issues/31/comments") in state.calls


def test_failures_exit_1_with_a_reason_and_never_print_the_token(
    forge: tuple[FakeForge, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = forge
    wrong = {**github_env(url), "GITHUB_TOKEN": "wrong-token"}
    assert post(tmp_path, wrong, "plan") == 1
    assert "HTTP 401: Bad credentials" in capsys.readouterr().err

    remote = {**github_env("http://api.example.com"), "GITHUB_TOKEN": TOKEN}
    assert post(tmp_path, remote, "plan") == 1
    assert "use https" in capsys.readouterr().err

    for i in range(120):
        state.add(f"comment {i}")
    state.next_link_origin = "https://evil.example.com"  # a "next page" link off the API host
    assert post(tmp_path, github_env(url), "plan") == 1
    err = capsys.readouterr().err
    assert "refusing to follow" in err
    assert TOKEN not in err
    assert not state.marked()


# -- the saved plan travels as an artifact ---------------------------------------------------


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(cwd, *args, CI="true")


def test_saved_plan_artifact_applies_from_another_process_and_directory(
    emulator_url: str, tmp_path: Path
) -> None:
    quickstart = REPO / "examples" / "quickstart"
    rids = ["1a0018970a5c6c1", "160a3797c8f4e2b", "171976fa8a8d5e7"]
    httpx.post(
        f"{emulator_url}/_emulator/devices",
        json={"registration_ids": rids},
        auth=(APP_KEY, MASTER_SECRET),
    ).raise_for_status()
    plan_job, apply_job = tmp_path / "plan-job", tmp_path / "apply-job"
    plan_job.mkdir()
    (apply_job / "saved-plan").mkdir(parents=True)

    planned = cli(
        "plan", str(quickstart), "--base-url", emulator_url, "--format", "markdown",
        "--out", "plan.json", "--detailed-exitcode", cwd=plan_job,
    )  # fmt: skip
    assert planned.returncode == 2, planned.stderr
    shutil.copy(plan_job / "plan.json", apply_job / "saved-plan" / "plan.json")  # the artifact

    # apply decides the target itself: without --base-url it is the Project region's host,
    # which is not where this plan was made, so it refuses before any request.
    elsewhere = cli("apply", "--plan", "saved-plan/plan.json", cwd=apply_job)
    assert elsewhere.returncode == 1
    assert f"pass --base-url {emulator_url}" in elsewhere.stderr

    applied = cli(
        "apply", "--plan", "saved-plan/plan.json", "--base-url", emulator_url,
        "--format", "markdown", cwd=apply_job,
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    assert list((apply_job / ".webpush-iac" / "journal").glob("*.jsonl"))

    again = cli("plan", str(quickstart), "--base-url", emulator_url, "--detailed-exitcode",
                cwd=plan_job)  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr  # converged
    for run in (planned, elsewhere, applied, again):
        assert MASTER_SECRET not in run.stdout + run.stderr


# -- the workflow files ----------------------------------------------------------------------


def steps(workflow: Any) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job["steps"]]


def step(workflow: Any, name_part: str) -> dict[str, Any]:
    (found,) = [s for s in steps(workflow) if name_part in s.get("name", "")]
    return found


def workflow(name: str) -> Any:
    return load_yaml(WORKFLOWS / f"webpush-iac-{name}.yml")


def test_every_workflow_keeps_secrets_in_env_and_permissions_minimal() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        data = load_yaml(path)
        perms = data["permissions"]
        assert "write-all" not in str(perms), path
        writes = {k for k, v in perms.items() if v == "write"}
        assert writes <= {"pull-requests"}, path
        for s in steps(data):
            assert "secrets." not in s.get("run", ""), (path, s.get("name"))
            assert "set -x" not in s.get("run", ""), path
            if "uses" in s:
                assert "@v" in s["uses"], s["uses"]  # pinned to a major version
            for key, value in (s.get("env") or {}).items():
                if "secrets." in str(value):
                    assert key in ("WEBPUSH_APP_KEY", "WEBPUSH_MASTER_SECRET"), key
    assert set(workflow("plan")["permissions"]) == {"contents", "pull-requests"}
    assert workflow("audit")["permissions"] == {"contents": "read"}


def test_plan_workflow_plans_against_the_merge_base_and_keeps_one_comment() -> None:
    plan = workflow("plan")
    assert "pull_request" in plan["on"]
    job = plan["jobs"]["plan"]
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    script = step(plan, "Plan")["run"]
    for needle in ("git merge-base", "--baseline", "--format markdown", "--out plan.json"):
        assert needle in script
    comment = step(plan, "Comment")
    assert "plan_comment.py --body-file comment.md" in comment["run"]
    assert "--marker" not in comment["run"]  # the script's default hidden marker
    assert plan_comment.DEFAULT_MARKER.startswith("<!--")
    upload = step(plan, "Upload")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"] == {**upload["with"], "name": "webpush-iac-plan", "path": "plan.json"}


def test_apply_workflow_never_overlaps_and_applies_the_downloaded_plan() -> None:
    apply = workflow("apply")
    assert apply["on"]["push"]["branches"] == ["main"]
    assert apply["concurrency"]["cancel-in-progress"] is False
    assert apply["concurrency"]["group"] == "webpush-iac-apply"
    assert apply["permissions"] == {"contents": "read", "actions": "read", "pull-requests": "read"}
    download = step(apply, "Download")
    assert download["uses"].startswith("actions/download-artifact@")
    assert download["with"]["name"] == "webpush-iac-plan"
    assert "steps.find.outputs.run_id" in download["with"]["run-id"]
    assert "gh run list --workflow" in step(apply, "Find")["run"]
    applying = step(apply, "Apply")
    assert "apply --plan saved-plan/plan.json" in applying["run"]
    # Where apply goes and which variables hold the credentials are never the artifact's to say.
    assert "--base-url" not in applying["run"]
    assert "WEBPUSH_BASE_URL" not in str(applying.get("env"))
    assert set(applying["env"]) >= {"WEBPUSH_APP_KEY", "WEBPUSH_MASTER_SECRET"}
    assert "schedule" in workflow("audit")["on"]


# -- the workflow shell steps, run with a stub webpush-iac -----------------------------------


def stub(tmp_path: Path, name: str, body: str) -> None:
    path = tmp_path / "bin" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def run_step(
    script: str, tmp_path: Path, exit_code: int, *, only: str = "", **env: str
) -> tuple[int, Path]:
    """Run a ``run:`` block as GitHub does (bash -eo pipefail) with a stub ``webpush-iac``.

    The stub exits ``exit_code`` (for the subcommand ``only`` when given, else for all of them;
    the others exit 0). GitLab runs its ``script:`` blocks the same way.
    """
    bin_dir = tmp_path / "bin"
    code = f'[ -z "{only}" ] || [ "$1" = "{only}" ] && exit {exit_code}; exit 0'
    stub(
        tmp_path,
        "webpush-iac",
        f'echo "stub output for $1"\necho "progress line" >&2\n{code}',
    )
    (tmp_path / "saved-plan").mkdir(exist_ok=True)
    github = {
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "GITHUB_SHA": "0123456789abcdef0123",
        "MANIFESTS": "manifests",
    }
    full_env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp_path), **github, **env}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.returncode, tmp_path


@pytest.mark.parametrize("code", [0, 2, 1, 3])
def test_plan_step_records_the_exit_code_and_detailed_exitcode_2_is_not_a_failure(
    tmp_path: Path, code: int
) -> None:
    # The step itself always succeeds so the comment is posted even for a failed plan; the
    # last step fails the job unless the recorded exit code is 0 or 2.
    script = step(workflow("plan"), "Plan")["run"]
    stub(tmp_path, "git", "echo fedcba9876543210fedc")  # git merge-base needs no repository
    status, where = run_step(script, tmp_path, code, BASE_SHA="base")
    assert status == 0
    assert (where / "output").read_text() == f"exitcode={code}\n"
    comment = (where / "comment.md").read_text()
    assert "stub output for plan" in comment
    assert ("Plan failed" in comment) is (code not in (0, 2))
    fail_step = step(workflow("plan"), "Fail on a plan error")
    assert "'2'" in fail_step["if"]
    assert "'0'" in fail_step["if"]


@pytest.mark.parametrize(("code", "fails"), [(0, False), (2, True), (1, True)])
def test_audit_step_fails_on_drift_and_writes_the_job_summary(
    tmp_path: Path, code: int, fails: bool
) -> None:
    status, where = run_step(step(workflow("audit"), "Audit")["run"], tmp_path, code)
    assert (status != 0) is fails
    assert status == code
    assert "stub output for audit" in (where / "summary").read_text()


@pytest.mark.parametrize(
    ("code", "large", "status"),
    [(0, "", 0), (1, "", 1), (3, "", 3), (3, "--allow-large-changes", 0)],
)
def test_manual_replan_passes_a_safety_refusal_on_only_when_large_changes_are_allowed(
    tmp_path: Path, code: int, large: str, status: int
) -> None:
    script = step(workflow("apply"), "Plan again")["run"]
    assert run_step(script, tmp_path, code, LARGE=large)[0] == status
    assert "replanned" in (tmp_path / "summary").read_text()


@pytest.mark.parametrize("code", [0, 1, 4])
def test_apply_step_passes_apply_exit_codes_through(tmp_path: Path, code: int) -> None:
    status, where = run_step(step(workflow("apply"), "Apply")["run"], tmp_path, code, LARGE="")
    assert status == code
    assert "stub output for apply" in (where / "summary").read_text()


RECONCILE = re.compile(r"^\s*webpush-iac (plan|apply|audit) ([^\n]*)", re.MULTILINE)


def test_every_ci_template_that_reads_manifests_passes_a_baseline() -> None:
    """Without one, a past single absent live cannot be told fired from never created."""
    calls = []
    for path in [*sorted(WORKFLOWS.glob("*.yml")), CI / "gitlab-ci.yml"]:
        text = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
        )
        for command, rest in RECONCILE.findall(text):
            if command == "apply" and "--plan" in rest:
                continue  # a saved plan reads no manifests: its plan call carried the baseline
            calls.append((path.name, command, "--baseline" in rest))
    assert {(name, command) for name, command, _ in calls} >= {
        ("webpush-iac-plan.yml", "plan"),
        ("webpush-iac-apply.yml", "plan"),
        ("webpush-iac-audit.yml", "audit"),
        ("gitlab-ci.yml", "plan"),
        ("gitlab-ci.yml", "audit"),
    }
    assert [c for c in calls if not c[2]] == []


def test_gitlab_pipeline_has_the_same_three_stages() -> None:
    gitlab = load_yaml(CI / "gitlab-ci.yml")
    assert gitlab["stages"] == ["plan", "apply", "audit"]
    plan, apply, audit = (gitlab[f"webpush-iac-{s}"] for s in ("plan", "apply", "audit"))
    plan_script = "\n".join(plan["script"])
    assert '--baseline "$CI_MERGE_REQUEST_DIFF_BASE_SHA"' in plan_script
    assert "plan_comment.py --provider gitlab" in plan_script
    assert "-ne 2" in plan_script
    assert "plan.json" in plan["artifacts"]["paths"]
    assert apply["resource_group"]  # one apply at a time, queued, never cancelled
    assert apply["interruptible"] is False
    assert "apply --plan plan.json" in "\n".join(apply["script"])
    assert audit["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    for job in (plan, apply, audit):
        assert "MASTER_SECRET" not in "\n".join(job["script"])


# -- pre-commit ------------------------------------------------------------------------------


def test_pre_commit_hook_runs_validate_on_the_manifest_root() -> None:
    (hook,) = load_yaml(REPO / ".pre-commit-hooks.yaml")
    assert hook["id"] == "webpush-iac-validate"
    assert hook["entry"] == "webpush-iac validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    for changed in ("manifests/a.yaml", "b.yml", "audience/subscribers/topic.txt"):
        assert files.search(changed), changed
    assert not files.search("README.md")
    executable = shutil.which("webpush-iac", path=str(Path(sys.executable).parent))
    assert executable is not None
    command = [executable, *hook["entry"].split()[1:]]
    # pre-commit runs the hook from the repository root; here the quickstart is that root.
    done = subprocess.run(
        command,
        cwd=REPO / "examples" / "quickstart",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: 9 documents")


@pytest.mark.parametrize(("code", "job_status"), [(0, 0), (2, 0), (1, 1), (3, 1)])
def test_gitlab_plan_comments_then_fails_only_on_errors(
    tmp_path: Path, code: int, job_status: int
) -> None:
    stub(tmp_path, "python", 'echo "$@" > posted.txt')
    script = "\n".join(load_yaml(CI / "gitlab-ci.yml")["webpush-iac-plan"]["script"])
    status, where = run_step(script, tmp_path, code, CI_COMMIT_SHORT_SHA="0123abcd")
    assert status == job_status
    assert "--provider gitlab --body-file comment.md" in (where / "posted.txt").read_text()
    assert ("Plan failed" in (where / "comment.md").read_text()) is (job_status != 0)


@pytest.mark.parametrize("code", [0, 1, 4])
def test_gitlab_apply_passes_apply_exit_codes_through(tmp_path: Path, code: int) -> None:
    script = "\n".join(load_yaml(CI / "gitlab-ci.yml")["webpush-iac-apply"]["script"])
    status, where = run_step(script, tmp_path, code, only="apply", CI_COMMIT_BEFORE_SHA="")
    assert status == code
    assert "stub output for plan" in (where / "plan.md").read_text()
    assert "stub output for apply" in (where / "result.md").read_text()


# -- what the plan workflows post is masked ------------------------------------------------------

UNKNOWN_RID = "1a0018970a5c6c1f"  # the emulator has no such device: the plan fails on it
MEMBER_RID = "160a3797c8f4e2b9"
ALIAS = "qa_anna_x"


def _failing_project(repo: Path) -> None:
    """A git repository whose manifests name a device the API does not know, which
    ``safety.unknown_devices: error`` makes a plan error."""
    write_tree(
        repo / "manifests",
        {
            "webpush-iac.yaml": to_yaml(
                project(
                    "p",
                    rate_limit={"qps": 1000, "concurrency": 4},
                    safety={"unknown_devices": "error"},
                )
            ),
            "devices.yaml": to_yaml(
                device("laptop", UNKNOWN_RID, alias=ALIAS),
                tag("beta", members_file="beta.txt"),
            ),
            "beta.txt": f"{MEMBER_RID}\n",
        },
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "m")


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_a_failed_plan_posts_no_raw_identifier_in_the_comment(
    emulator_url: str, tmp_path: Path, provider: str
) -> None:
    repo = tmp_path / "repo"
    _failing_project(repo)
    head = git(repo, "rev-parse", "HEAD")
    stub(repo, "webpush-iac", f'exec "{sys.executable}" -m webpush_iac "$@"')
    if provider == "github":
        script = step(workflow("plan"), "Plan")["run"]
    else:
        stub(repo, "python", "exit 0")  # the comment script is tested on its own above
        script = "\n".join(load_yaml(CI / "gitlab-ci.yml")["webpush-iac-plan"]["script"])
    env = {
        "PATH": f"{repo / 'bin'}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_SHA": head,
        "BASE_SHA": head,
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": head,
        "CI_COMMIT_SHORT_SHA": head[:8],
        "MANIFESTS": "manifests",
        "WEBPUSH_APP_KEY": APP_KEY,
        "WEBPUSH_MASTER_SECRET": MASTER_SECRET,
        "WEBPUSH_BASE_URL": emulator_url,
        "CI": "true",
    }
    subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    comment = (repo / "comment.md").read_text(encoding="utf-8")
    assert "Plan failed (exit 1)" in comment
    assert f"device/{mask_rid(UNKNOWN_RID)}: cannot plan" in comment
    for raw in (UNKNOWN_RID, MEMBER_RID, ALIAS, MASTER_SECRET):
        assert raw not in comment
