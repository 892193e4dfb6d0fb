"""The emulator's wire vocabulary: error codes, the error exception and the reply type.

Every code the emulator can answer with is named here with the evidence it rests on, so a reader
can tell a documented answer from one we had to pick. The emulator's comments tag evidence with
the levels of docs/api-notes.md: DOC vendor doc, DOC* vendor summary, SDK official SDK, JPUSH
inferred from JPush, GUESS guess; the guesses are listed in docs/emulator.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Family = Literal["push", "schedule", "device", "admin"]

# --- push / batch / statistics (docs/api-notes.md "Error bodies and codes") -----------------------
PUSH_METHOD_NOT_ALLOWED = 21001  # DOC*: 405
PUSH_MISSING_PARAMETER = 21002  # DOC*: 400
PUSH_INVALID_PARAMETER = 21003  # DOC*: 400 (also used for malformed JSON: GUESS)
PUSH_AUTH_FAILED = 21004  # DOC*: 401
PUSH_TOO_LARGE = 21005  # DOC*: 400
PUSH_NO_TARGET = 21011  # DOC*: 400
PUSH_UNEXPECTED_PARAMETER = 21015  # DOC*: 400
PUSH_BAD_TYPE_OR_LENGTH = 21016  # DOC*: 400
PUSH_SERVICE_TIMEOUT = 21030  # DOC*: 503, retriable
PUSH_NOTIFICATION_AND_MESSAGE = 21306  # DOC*: listed with HTTP 401 (sic), kept as documented
LIVE_ACTIVITY_BAD_EVENT = 21050  # DOC*: live_activity.ios.event not start / update / end
LIVE_ACTIVITY_BAD_AUDIENCE = 21051  # DOC*: a start goes to broadcast or registration ids only
LIVE_ACTIVITY_NO_ATTRIBUTES_TYPE = 21052  # DOC*
LIVE_ACTIVITY_NO_CONTENT_STATE = 21053  # DOC*
LIVE_ACTIVITY_MIXED = 21054  # DOC*: live_activity together with another payload
LIVE_ACTIVITY_NOT_IOS = 21056  # DOC*
VOIP_MIXED = 21057  # DOC*
VOIP_NOT_IOS = 21058  # DOC*
PUSH_PARAMETER_ERROR = 23006  # DOC*: 400, big_push_duration > 1440
RATE_LIMITED = 23008  # DOC*: listed with HTTP 400 (not 429); SDK mock message below
RATE_LIMITED_MESSAGE = "Rate limit exceeded for the API"
DISTRIBUTION_WITHOUT_ALERT = 27008  # DOC*: 401 on the push API
DISTRIBUTION_INVALID = 27009  # DOC*: 401 on the push API
PUSH_BAD_REGISTRATION_ID = 20101  # DOC*: 400, registration id invalid or not in this AppKey
OVERRIDE_UNKNOWN = 1003  # DOC*/JPUSH: override_msg_id not a message of this app within 1 day
PLAN_ID_EMPTY = 27303  # DOC*: empty plan id

# --- devices / tags / aliases ---------------------------------------------------------------------
DEVICE_AUTH_MISSING = 27001  # DOC*: 401, empty credentials
DEVICE_AUTH_FAILED = 27004  # JPUSH 7004 -> GUESS: 401, wrong credentials
# GUESS from JPUSH 7002 "illegal request parameter": one code for every bad device/tag/alias input
# (400) and, with 404, for a registration id the emulator has never seen.
DEVICE_INVALID = 27002

# --- schedules: JPush 8xxx with the "2" prefix EngageLab uses elsewhere (GUESS) -------------------
SCHEDULE_INVALID = 28100  # JPUSH 8100: 400 for every invalid task / body / update
SCHEDULE_AUTH_FAILED = 28101  # JPUSH 8101: 401
SCHEDULE_NOT_FOUND = 28104  # JPUSH 8104: 404
# JPUSH: an expired task ("has been at term") cannot be updated; answered with 28100 / 400 and a
# message that starts with this word, for a task that fired or expired before the call.
SCHEDULE_EXPIRED = "expired"

# Per family: (missing auth, wrong auth, invalid input, unknown resource).
FAMILY_CODES: dict[Family, tuple[int, int, int, int]] = {
    "push": (PUSH_AUTH_FAILED, PUSH_AUTH_FAILED, PUSH_INVALID_PARAMETER, PUSH_INVALID_PARAMETER),
    "schedule": (SCHEDULE_AUTH_FAILED, SCHEDULE_AUTH_FAILED, SCHEDULE_INVALID, SCHEDULE_NOT_FOUND),
    "device": (DEVICE_AUTH_MISSING, DEVICE_AUTH_FAILED, DEVICE_INVALID, DEVICE_INVALID),
    "admin": (PUSH_AUTH_FAILED, PUSH_AUTH_FAILED, PUSH_INVALID_PARAMETER, PUSH_INVALID_PARAMETER),
}


# HTTP 413 for a body past the size cap (GUESS: not in the documented status list; the codes are
# the push API's "message body too large" and each family's invalid-input code).
FAMILY_TOO_LARGE: dict[Family, int] = {
    "push": PUSH_TOO_LARGE,
    "schedule": SCHEDULE_INVALID,
    "device": DEVICE_INVALID,
    "admin": PUSH_TOO_LARGE,
}


class _ApiFailure(Exception):
    """Raised anywhere inside a handler to answer with the nested EngageLab error body."""

    def __init__(self, status: int, code: int, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"HTTP {status} code {code}: {message}")

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}


def invalid(family: Family, message: str) -> _ApiFailure:
    """A 400 with the family's generic invalid-input code."""
    return _ApiFailure(400, FAMILY_CODES[family][2], message)


class RawJSON(str):
    """A reply body that is already JSON text: the schedule routes splice the stored JSON of each
    task instead of decoding and re-encoding it on every read."""


@dataclass(frozen=True)
class Reply:
    """A successful answer. ``body`` None means an empty 200 body, which several mutations send."""

    body: Any = None
    status: int = 200


EMPTY = Reply()
