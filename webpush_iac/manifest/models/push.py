"""Push content shared by Template and Schedule documents (docs/api-notes.md "Push payload").

Strings here are Jinja2 templates; they are checked as types here and as rendered values later
(``templating``, ``bodychecks``), because only rendering knows what a URL or an alert finally
is. Numeric options are never templated, so their API limits are plain constraints.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    WithJsonSchema,
    model_validator,
)

from webpush_iac.apispec import MAX_BIG_PUSH_DURATION, MAX_TIME_TO_LIVE, MAX_WEB_BUTTONS
from webpush_iac.manifest.models.fields import (
    CID_PATTERN,
    PLAN_ID_PATTERN,
    LanguageCode,
    TextOrObject,
    digits_schema,
    digits_within,
    fail,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, hide_input_in_errors=True)


class Variable(_Strict):
    """A template variable: required (every schedule must set it) or with a default."""

    required: bool | None = Field(None, description="Defaults to true when there is no default.")
    default: Any = None
    description: str | None = None

    @model_validator(mode="after")
    def _required_or_default(self) -> Self:
        has_default = "default" in self.model_fields_set
        if self.required and has_default:
            fail("give either required: true or a default, not both")
        if self.required is False and not has_default:
            fail("an optional variable needs a default")
        return self

    @property
    def is_required(self) -> bool:
        return "default" not in self.model_fields_set


class Notification(_Strict):
    """The browser notification (``notification.web`` in the API)."""

    alert: TextOrObject = Field(description="Body text, or a JSON object (required by the API).")
    url: str = Field(description="http(s) URL opened on click (required by the API).")
    title: str | None = None
    icon: str | None = Field(None, description='http(s) URL, about 192x192, ≤ 1 MB; "": none.')
    image: str | None = Field(None, description='http(s) URL of a large image, ≤ 1 MB; "": none.')
    extras: dict[str, Any] | None = None


class ApiNotification(_Strict):
    """A notification in the API's own shape: a generic alert beside the web block, both sent
    as written."""

    alert: str | None = Field(None, description="The generic alert beside the web block.")
    web: Notification


def _notification_form(value: Any) -> str:
    if isinstance(value, ApiNotification) or (isinstance(value, dict) and "web" in value):
        return "api"
    return "web"


NotificationContent = Annotated[
    Annotated[Notification, Tag("web")] | Annotated[ApiNotification, Tag("api")],
    Discriminator(_notification_form),
]


class Message(_Strict):
    """An in-page custom message handled by the site's own script, instead of a notification."""

    msg_content: TextOrObject
    title: str | None = None
    content_type: str | None = None
    extras: dict[str, Any] | None = None


class LanguageContent(_Strict):
    """Per-language overrides; ``alert`` becomes ``content`` in ``options.multi_language``."""

    title: str | None = None
    alert: str | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.title is None and self.alert is None:
            fail("needs a title or an alert")
        return self


Languages = dict[LanguageCode, LanguageContent]


# "Int or String" numbers: an integer or a string of digits, sent as written.
TimeToLive = Annotated[
    int | str,
    PlainValidator(digits_within(0, MAX_TIME_TO_LIVE)),
    WithJsonSchema(digits_schema(0, MAX_TIME_TO_LIVE, "Seconds kept for offline devices.")),
]
BigPushDuration = Annotated[
    int | str,
    PlainValidator(digits_within(1, MAX_BIG_PUSH_DURATION)),
    WithJsonSchema(digits_schema(1, MAX_BIG_PUSH_DURATION, "Spread delivery over N minutes.")),
]
MessageId = Annotated[
    int | str,
    PlainValidator(digits_within(0, None)),
    WithJsonSchema(digits_schema(0, None, "The message this push replaces.")),
]


class WebButton(_Strict):
    """A notification action button (Chrome 48+)."""

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    icon: str | None = None
    url: str | None = None


class W3Push(_Strict):
    distribution: Literal["first_ospush", "mtpush", "secondary_push", "ospush"]


class ThirdPartyChannel(_Strict):
    """Priority between EngageLab's own channel and the browser vendor's channel."""

    w3push: W3Push


class PushOptions(_Strict):
    """Push options; a schedule's options are merged over its template's."""

    time_to_live: TimeToLive | None = None
    big_push_duration: BigPushDuration | None = None
    web_buttons: list[WebButton] | None = Field(None, max_length=MAX_WEB_BUTTONS)
    third_party_channel: ThirdPartyChannel | None = None
    override_msg_id: MessageId | None = None
    plan_id: Annotated[str, Field(pattern=PLAN_ID_PATTERN)] | None = None
    cid: Annotated[str, Field(pattern=CID_PATTERN)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _languages_elsewhere(cls, data: Any) -> Any:
        if isinstance(data, dict) and "multi_language" in data:
            fail("is built from languages: (declare them there)", "multi_language")
        return data
