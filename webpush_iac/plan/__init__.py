"""Pure planning: desired x live x now -> Plan, and the saved-plan format.

Nothing here reads the API, the clock or the disk: callers pass live state and "now" in, so a
plan is a deterministic function of its inputs and every test can pin it.
"""

from webpush_iac.plan.audit import AuditReport, build_audit
from webpush_iac.plan.diff import diff
from webpush_iac.plan.fingerprint import (
    canonical_json,
    fingerprint_device,
    fingerprint_schedule,
    schedule_fingerprint,
    sha256_hex,
)
from webpush_iac.plan.model import (
    ACTIONS,
    CREATED_ID,
    MUTATING_ACTIONS,
    PLAN_TTL,
    REQUEST_KINDS,
    ApiRequest,
    Change,
    FieldChange,
    Plan,
    PlanProblem,
    PlanWarning,
)
from webpush_iac.plan.planfile import (
    FORMAT_VERSION,
    check_format_version,
    parse_plan_json,
    plan_from_data,
    plan_signing_key,
    plan_to_data,
    sign_plan,
)
from webpush_iac.plan.requests import check_outgoing, check_plan_requests
from webpush_iac.plan.safety import check_safety
from webpush_iac.plan.schedules import schedule_id_order

__all__ = [
    "ACTIONS",
    "CREATED_ID",
    "FORMAT_VERSION",
    "MUTATING_ACTIONS",
    "PLAN_TTL",
    "REQUEST_KINDS",
    "ApiRequest",
    "AuditReport",
    "Change",
    "FieldChange",
    "Plan",
    "PlanProblem",
    "PlanWarning",
    "build_audit",
    "canonical_json",
    "check_format_version",
    "check_outgoing",
    "check_plan_requests",
    "check_safety",
    "diff",
    "fingerprint_device",
    "fingerprint_schedule",
    "parse_plan_json",
    "plan_from_data",
    "plan_signing_key",
    "plan_to_data",
    "schedule_fingerprint",
    "schedule_id_order",
    "sha256_hex",
    "sign_plan",
]
