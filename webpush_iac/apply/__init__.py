"""Plan -> API: send a plan's requests in phase order, journal every call, report each outcome.

``apply`` decides only *when* to send; *what* is already in the plan. Nothing here imports the
client: it talks to a ``Requester`` Protocol, so tests drive it with the emulator or a fake.
"""

from webpush_iac.apply.calls import Requester
from webpush_iac.apply.executor import apply_plan
from webpush_iac.apply.freshness import check_fresh, check_offline, check_target, verify_saved_plan
from webpush_iac.apply.journal import (
    DEFAULT_JOURNAL_DIR,
    Journal,
    in_flight,
    read_journal,
    run_status,
)
from webpush_iac.apply.lock import DEFAULT_LOCK_DIR, ApplyLock
from webpush_iac.apply.result import ApplyResult, OutcomeStatus, RequestOutcome

__all__ = [
    "DEFAULT_JOURNAL_DIR",
    "DEFAULT_LOCK_DIR",
    "ApplyLock",
    "ApplyResult",
    "Journal",
    "OutcomeStatus",
    "RequestOutcome",
    "Requester",
    "apply_plan",
    "check_fresh",
    "check_offline",
    "check_target",
    "in_flight",
    "read_journal",
    "run_status",
    "verify_saved_plan",
]
