"""The one exception tree of webpush-iac, and the exit codes the CLI maps it to.

Every error the library raises on purpose is a :class:`WebpushIacError`. Third-party errors are
translated where they enter (httpx in ``client``, YAML and pydantic in ``manifest``), so the CLI has a
single error boundary and never shows a traceback for a user mistake. The tree below is the
contract: ``tests/test_architecture.py`` checks that it draws every public exception of this
module under its base class, and that no public exception is defined anywhere else::

    WebpushIacError                    exit 1 unless stated
    ├── ConfigError                    bad flags, environment or credentials
    ├── ManifestError                  every problem in every manifest file, one Problem each
    ├── ClientError                    anything that went wrong talking to the API
    │   ├── ReadOnlyViolation          a mutating call attempted in read-only mode (plan, audit)
    │   ├── TransportError             connection refused/reset, timeout: no HTTP answer
    │   │   ├── AmbiguousWriteError    a non-idempotent write whose outcome is unknown
    │   │   └── NoAnswerError          every attempt of an idempotent call timed out
    │   └── ApiError                   the API answered with an error (HTTP status + EngageLab code)
    │       ├── AuthError              401 / 403, auth codes
    │       ├── NotFoundError          404
    │       ├── RateLimitedError       429 or code 23008
    │       └── ServerError            5xx or a retriable server code
    ├── PlanError                      live state makes the plan impossible (quota, tag limits)
    ├── StalePlanError                 saved plan expired, or live state moved on since planning
    │   └── InvalidPlanError           saved plan not authentic, malformed, or outside what a plan may do
    ├── ApplyCancelled                 the operator said no (or could not be asked): nothing sent
    ├── ApplyLockedError               another apply holds the lock for this target and AppKey
    ├── JournalError                   the apply journal could not be created or written
    ├── Interrupted          exit 13x  SIGINT (130) or SIGTERM (143) stopped the run
    ├── SafetyError          exit 3    a safety threshold refused the change
    └── ApplyFailedError     exit 4    apply finished with some changes failed or not attempted
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_SAFETY = 3
EXIT_PARTIAL = 4
#: A signal ended the run: 128 + the signal number, as a shell reports a process a signal killed.
EXIT_SIGNAL_BASE = 128


class WebpushIacError(Exception):
    """Base of every error webpush-iac raises on purpose."""

    exit_code: int = EXIT_ERROR


class ConfigError(WebpushIacError):
    """The invocation cannot work: missing credentials, bad flag combination, unsafe URL."""


@dataclass(frozen=True, order=True)
class Problem:
    """One manifest problem, located as precisely as we can (line/col are 1-based, 0 = unknown)."""

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.col or 1}"
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {self.message}"

    def to_data(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "path": self.path,
            "message": self.message,
        }


class ManifestError(WebpushIacError):
    """All problems found in the manifests; raised once, after every file was checked."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ClientError(WebpushIacError):
    """Something went wrong between us and the API."""


class ReadOnlyViolation(ClientError):
    """A mutating request was attempted through a read-only client: a bug, never sent."""


class TransportError(ClientError):
    """No usable HTTP answer (connection failure, reset, timeout)."""

    def __init__(self, message: str, *, method: str = "", path: str = "") -> None:
        self.method = method
        self.path = path
        super().__init__(f"{method} {path}: {message}".strip() if method else message)


class AmbiguousWriteError(TransportError):
    """A non-idempotent request may or may not have taken effect; the caller must re-read."""


class NoAnswerError(TransportError):
    """The server accepted nothing or answered nothing within the timeout, attempt after attempt.

    Raised only once the bounded timeout retries are used up, so it says the server (or the path
    to it) is silent, not that one packet was lost.
    """


class ApiError(ClientError):
    """The API answered with an error status or an error body."""

    def __init__(
        self,
        *,
        status: int,
        code: int | None,
        message: str,
        method: str = "",
        path: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.api_message = message
        self.method = method
        self.path = path
        code_part = f" code {code}" if code is not None else ""
        where = f"{method} {path}: " if method else ""
        super().__init__(f"{where}HTTP {status}{code_part}: {message}")


class AuthError(ApiError):
    """Credentials rejected (wrong key/secret, wrong region, IP not whitelisted)."""


class NotFoundError(ApiError):
    """The addressed object does not exist."""


class RateLimitedError(ApiError):
    """The per-AppKey QPS limit was hit (HTTP 429 or code 23008)."""


class ServerError(ApiError):
    """The server failed (5xx or a retriable internal code such as 21030 or 27000)."""


class PlanError(WebpushIacError):
    """Live state makes the desired state unreachable (quota, per-device tag limit, ...)."""


class StalePlanError(WebpushIacError):
    """A saved plan may no longer be applied: nothing was sent."""


class InvalidPlanError(StalePlanError):
    """A saved plan apply will not trust: its signature fails, it is malformed, or it asks for a
    request no plan may contain (a path, method, body or object outside the allow-list). Always
    one line, raised before any request is sent."""


class ApplyCancelled(WebpushIacError):
    """The operator answered no (or could not be asked): nothing was sent."""


class ApplyLockedError(WebpushIacError):
    """Another apply of the same target and AppKey holds the local lock: nothing was sent."""


class JournalError(WebpushIacError):
    """The apply journal could not be created or a line could not be written (disk full, a
    file-size limit): no request is sent without its intent on disk."""


class Interrupted(WebpushIacError):
    """SIGINT or SIGTERM stopped the run; the exit code is 128 + the signal number."""

    def __init__(self, message: str, *, signal_number: int) -> None:
        self.signal_number = signal_number
        self.exit_code = EXIT_SIGNAL_BASE + signal_number
        super().__init__(message)


class SafetyError(WebpushIacError):
    """A safety threshold refused the change; ``--allow-large-changes`` overrides."""

    exit_code = EXIT_SAFETY


class ApplyFailedError(WebpushIacError):
    """Apply ran but some changes failed or were not attempted; ``result`` holds the details."""

    exit_code = EXIT_PARTIAL

    def __init__(self, message: str, result: Any = None) -> None:
        self.result = result
        super().__init__(message)
