#!/usr/bin/env python3
"""Post a plan as ONE pull-request comment (GitHub) or merge-request note (GitLab), updated in place.

Why a script and not a marketplace action: it is copied into your repository, so you can read all
of it; it needs only the Python standard library (urllib), and it is tested against a fake API.

How "one comment" works: the body is prefixed with a hidden HTML marker (``<!-- webpush-iac-plan
-->`` by default; use ``--marker`` for one comment per manifest tree). Every run lists the
comments of the pull request (all pages), edits the first one carrying the marker and creates one
only when none does, so a busy pull request keeps a single, current plan.

Usage (in CI)::

    python ci/scripts/plan_comment.py --body-file comment.md                  # GitHub
    python ci/scripts/plan_comment.py --provider gitlab --body-file comment.md

GitHub reads ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL`` and the pull-request
number from ``--pr`` or ``GITHUB_EVENT_PATH``. GitLab reads ``GITLAB_TOKEN`` (a project access
token with the ``api`` scope), ``CI_API_V4_URL``, ``CI_PROJECT_ID`` and ``CI_MERGE_REQUEST_IID``.

The token is sent only in a request header to the API host: never printed, never put in a URL,
never followed through a redirect (a redirect is an error), and plain http is refused except to
a loopback address (tests). Exit 0 when the comment was created or updated, 1 otherwise.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MARKER = "<!-- webpush-iac-plan -->"
# GitHub refuses comment bodies over 65,536 characters; GitLab notes allow 1,000,000.
BODY_LIMITS = {"github": 65_536, "gitlab": 1_000_000}
TRUNCATION_NOTE = "\n\n> ⚠️ Comment truncated to fit the size limit; see the job log or artifact.\n"
MAX_PAGES = 100  # 10,000 comments: a bound, so a misbehaving API cannot loop us forever
TIMEOUT = 30.0


class CommentError(Exception):
    """A failure to report in one line (never holding the token)."""


@dataclass(frozen=True)
class Api:
    """Where and how to talk to one provider for one pull/merge request."""

    provider: str
    base_url: str
    token: str = field(repr=False)  # never in a repr, a log line or a traceback
    list_path: str  # comments of the pull/merge request (GET, POST)
    item_path: str  # one comment, with {id}

    def headers(self) -> dict[str, str]:
        if self.provider == "gitlab":
            auth = {"PRIVATE-TOKEN": self.token}
        else:
            auth = {
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            }
        return {
            **auth,
            "User-Agent": "webpush-iac-plan-comment",
            "Content-Type": "application/json",
        }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would resend our headers (the token) to wherever a redirect points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _check_url(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "http" or not loopback:
        raise CommentError(f"refusing to send the token to {parts.scheme}://{host}: use https")


def _call(
    api: Api, method: str, path_or_url: str, body: Any = None
) -> tuple[Any, Mapping[str, str]]:
    url = path_or_url if "://" in path_or_url else api.base_url.rstrip("/") + path_or_url
    _check_url(url)
    if _origin(url) != _origin(api.base_url):  # a "next page" link must not take the token away
        raise CommentError(f"refusing to follow {_safe(url)} off {_origin(api.base_url)}")
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=api.headers())  # noqa: S310 (scheme checked above)
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            raw = response.read()
            headers = dict(response.headers.items())
    except urllib.error.HTTPError as exc:
        raise CommentError(
            f"{method} {_safe(url)} answered HTTP {exc.code}: {_reason(exc)}"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CommentError(f"{method} {_safe(url)} failed: {reason}") from None
    try:
        return (json.loads(raw) if raw else None), headers
    except ValueError:
        raise CommentError(f"{method} {_safe(url)} did not answer JSON") from None


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _safe(url: str) -> str:
    """The URL without its query (no token ever goes there, but keep logs short)."""
    return urllib.parse.urlsplit(url)._replace(query="").geturl()


def _reason(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        data = {}
    message = data.get("message") if isinstance(data, dict) else None
    return str(message or exc.reason)[:300]


_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def _next_page(headers: Mapping[str, str]) -> str | None:
    """GitHub and GitLab both send RFC 8288 ``Link: <url>; rel="next"``."""
    link = next((v for k, v in headers.items() if k.lower() == "link"), "")
    match = _NEXT.search(link)
    return match.group(1) if match else None


def find_comment(api: Api, marker: str) -> int | None:
    """The id of the first comment whose body carries ``marker``, over every page."""
    url: str | None = f"{api.list_path}?per_page=100"
    for _ in range(MAX_PAGES):
        if url is None:
            return None
        page, headers = _call(api, "GET", url)
        for comment in page if isinstance(page, list) else []:
            if isinstance(comment, dict) and marker in str(comment.get("body") or ""):
                return int(comment["id"])
        url = _next_page(headers)
    return None


def compose(body: str, marker: str, limit: int) -> str:
    """Marker first (so it survives truncation), then the body cut to the provider's limit."""
    text = f"{marker}\n{body}"
    if len(text) <= limit:
        return text
    keep = limit - len(TRUNCATION_NOTE)
    return text[:keep] + TRUNCATION_NOTE


def upsert(api: Api, body: str, marker: str = DEFAULT_MARKER) -> tuple[str, int]:
    """Create or update the one marked comment; returns ``("created"|"updated", id)``."""
    text = compose(body, marker, BODY_LIMITS[api.provider])
    existing = find_comment(api, marker)
    if existing is not None:
        method = "PUT" if api.provider == "gitlab" else "PATCH"
        _call(api, method, api.item_path.format(id=existing), {"body": text})
        return "updated", existing
    created, _ = _call(api, "POST", api.list_path, {"body": text})
    return "created", int(created["id"]) if isinstance(created, dict) else 0


def _require(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise CommentError(f"environment variable {name} is not set")
    return value


def _github_pr(environ: Mapping[str, str], pr: int | None) -> int:
    if pr is not None:
        return pr
    path = _require(environ, "GITHUB_EVENT_PATH")
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
        return int(event["pull_request"]["number"])
    except (OSError, ValueError, KeyError, TypeError):
        raise CommentError("not a pull_request event: pass --pr NUMBER") from None


def api_from_env(provider: str, environ: Mapping[str, str], pr: int | None = None) -> Api:
    if provider == "gitlab":
        project = urllib.parse.quote(_require(environ, "CI_PROJECT_ID"), safe="")
        iid = pr if pr is not None else int(_require(environ, "CI_MERGE_REQUEST_IID"))
        notes = f"/projects/{project}/merge_requests/{iid}/notes"
        return Api(
            "gitlab",
            _require(environ, "CI_API_V4_URL"),
            _require(environ, "GITLAB_TOKEN"),
            notes,
            notes + "/{id}",
        )
    repo = _require(environ, "GITHUB_REPOSITORY")
    number = _github_pr(environ, pr)
    return Api(
        "github",
        environ.get("GITHUB_API_URL") or "https://api.github.com",
        _require(environ, "GITHUB_TOKEN"),
        f"/repos/{repo}/issues/{number}/comments",
        f"/repos/{repo}/issues/comments/{{id}}",
    )


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--provider", choices=["github", "gitlab"], default="github")
    parser.add_argument("--body-file", required=True, help="Markdown to post ('-' = stdin).")
    parser.add_argument("--marker", default=DEFAULT_MARKER, help="Hidden marker of the comment.")
    parser.add_argument("--pr", type=int, help="Pull/merge request number (default: from CI).")
    args = parser.parse_args(argv)
    env = os.environ if environ is None else environ
    try:
        if args.body_file == "-":
            body = sys.stdin.read()
        else:
            with open(args.body_file, encoding="utf-8") as handle:
                body = handle.read()
        api = api_from_env(args.provider, env, args.pr)
        action, comment_id = upsert(api, body, args.marker)
    except OSError as exc:
        print(f"plan_comment: cannot read {args.body_file}: {exc.strerror}", file=sys.stderr)
        return 1
    except CommentError as exc:
        print(f"plan_comment: {exc}", file=sys.stderr)
        return 1
    print(f"plan_comment: {action} comment {comment_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
