"""Pydantic models of the five manifest kinds: Project, Template, Schedule, Device, Tag.

The models are strict (YAML ``yes`` or ``"5"`` never quietly becomes a bool or an int) and closed
(``extra="forbid"``: a typo is an error, not an ignored key). Checks that depend on the Project
(ownership prefix, time zone) or on the clock read a :class:`ValidationContext` from pydantic's
validation context, so tests pin "now"; without one those checks are skipped (schema generation).
Class docstrings and field descriptions end up in the JSON Schemas that editors show users.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import (
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from webpush_iac.apispec import MAX_SCHEDULE_NAME_BYTES
from webpush_iac.manifest.models.fields import (
    API_NAME_PATTERN,
    AliasName,
    AliasOrEmpty,
    ApiName,
    EnvName,
    Identifier,
    Label,
    MappingOrString,
    RegistrationId,
    TagName,
    TimeZoneName,
    WebPlatform,
    fail,
)
from webpush_iac.manifest.models.push import (
    Languages,
    Message,
    NotificationContent,
    PushOptions,
    Variable,
)
from webpush_iac.manifest.models.trigger import (
    CONTEXT_KEY,
    IntelligentTrigger,
    PeriodicalTrigger,
    SingleTrigger,
    StrictModel,
    Trigger,
    ValidationContext,
    validation_context,
)
from webpush_iac.state import DEFAULT_TIMEOUT, MAX_TIMEOUT, TIMEOUT_ATTEMPTS

__all__ = [
    "CONTEXT_KEY",
    "KINDS",
    "MODELS",
    "DeviceModel",
    "Document",
    "IntelligentTrigger",
    "PeriodicalTrigger",
    "ProjectModel",
    "ProjectSpec",
    "ScheduleMetadata",
    "ScheduleModel",
    "SchedulePush",
    "ScheduleSpec",
    "SingleTrigger",
    "TagModel",
    "TemplateModel",
    "Trigger",
    "ValidationContext",
]

KINDS = ("Project", "Template", "Schedule", "Device", "Tag")


class Metadata(StrictModel):
    """Identity of a document: kind + name is unique across all manifests."""

    name: Label
    description: str | None = Field(None, description="Free text for humans.")


class _Document(StrictModel):
    api_version: Literal["webpush-iac/v1"] = Field(alias="apiVersion")
    kind: str
    metadata: Metadata

    @property
    def identity(self) -> tuple[str, str]:
        """(kind, metadata.name): no two documents may share it."""
        return (self.kind, self.metadata.name)


# --- Project -------------------------------------------------------------------------------------


class EnvRef(StrictModel):
    """Names an environment variable; secrets never live in a manifest (it is in git)."""

    env: EnvName


class Credentials(StrictModel):
    """Where the AppKey and Master Secret come from at run time."""

    app_key: EnvRef = EnvRef(env="WEBPUSH_APP_KEY")
    master_secret: EnvRef = EnvRef(env="WEBPUSH_MASTER_SECRET")

    @field_validator("app_key", "master_secret", mode="before")
    @classmethod
    def _no_literal_secret(cls, value: Any) -> Any:
        if not isinstance(value, dict):  # never echo the value: it may be the secret itself
            fail(
                "must be an environment reference like {env: WEBPUSH_MASTER_SECRET}; "
                "literal credentials are not allowed in manifests"
            )
        return value


class Ownership(StrictModel):
    """Live schedules whose name starts with the prefix belong to this project."""

    prefix: Annotated[str, Field(pattern=API_NAME_PATTERN, max_length=64)] = "iac_"


class Prune(StrictModel):
    """Delete owned live schedules that no manifest declares (off: they are reported as orphans)."""

    schedules: bool = False


class ManagedTags(StrictModel):
    """Extra tag names or globs (``news_*``) this project is authoritative for."""

    managed: list[Annotated[str, Field(min_length=1, max_length=120)]] = Field(default_factory=list)


class RateLimit(StrictModel):
    """Client-side pacing, below the API's 500 requests/second per AppKey."""

    qps: float = Field(450.0, ge=1, le=100_000)  # 1: the rate limiter's floor
    concurrency: int = Field(32, ge=1, le=1024)


class Safety(StrictModel):
    """Thresholds above which plan and apply refuse without --allow-large-changes."""

    max_delete_percent: float = Field(30.0, ge=0, le=100)
    max_device_changes: int = Field(10_000, ge=0)
    unknown_devices: Literal["warn", "error"] = Field(
        "warn",
        description="A declared device the API does not know: warn (its changes are left out, "
        "everything else proceeds) or error (the plan stops).",
    )


class ProjectSpec(StrictModel):
    region: Literal["sgp", "hk"] = Field("sgp", description="EngageLab data center.")
    credentials: Credentials = Credentials()
    timezone: TimeZoneName = Field("UTC", description="Zone that zone_type 1 times are read in.")
    ownership: Ownership = Ownership()
    prune: Prune = Prune()
    tags: ManagedTags = ManagedTags()
    rate_limit: RateLimit = RateLimit()
    timeout: float = Field(
        DEFAULT_TIMEOUT,
        gt=0,
        le=MAX_TIMEOUT,
        description="Seconds to wait for a connection and for each API answer (--timeout "
        f"overrides); a call gives up after {TIMEOUT_ATTEMPTS} such waits.",
    )
    safety: Safety = Safety()
    vars: dict[Identifier, Any] = Field(
        default_factory=dict, description="Template variables shared by every template."
    )


class ProjectModel(_Document):
    """The one Project document: target, credentials references, ownership, safety."""

    kind: Literal["Project"]
    spec: ProjectSpec = ProjectSpec()


# --- Template ------------------------------------------------------------------------------------


class TemplateSpec(StrictModel):
    variables: dict[Identifier, Variable] = Field(default_factory=dict)
    platform: WebPlatform | None = Field(None, description="As written; default the product.")
    notification: NotificationContent | None = None
    message: Message | None = None
    languages: Languages = Field(default_factory=dict)
    options: PushOptions | None = None

    @model_validator(mode="after")
    def _one_content(self) -> Self:
        if (self.notification is None) == (self.message is None):
            fail("needs exactly one of notification or message")
        return self


class TemplateModel(_Document):
    """A Jinja2 notification template that schedules render into their push payloads."""

    kind: Literal["Template"]
    spec: TemplateSpec


# --- Schedule ------------------------------------------------------------------------------------


class Audience(StrictModel):
    """Who receives the push; several keys combine with AND."""

    tag: list[TagName] | None = Field(None, min_length=1, max_length=20)
    tag_and: list[TagName] | None = Field(None, min_length=1, max_length=20)
    tag_not: list[TagName] | None = Field(None, min_length=1, max_length=20)
    alias: list[AliasName] | None = Field(None, min_length=1, max_length=1000)
    registration_id: list[RegistrationId] | None = Field(None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.model_fields_set:
            fail("needs at least one of tag, tag_and, tag_not, alias or registration_id")
        return self


def _audience_kind(value: Any) -> str:
    return "all" if isinstance(value, str) else "audience"


To = Annotated[
    Annotated[Literal["all"], Tag("all")] | Annotated[Audience, Tag("audience")],
    Discriminator(_audience_kind),
]


class SchedulePush(StrictModel):
    """The push a schedule sends: a template (with vars) or inline notification/message."""

    to: To
    template: Label | None = None
    vars: dict[Identifier, Any] = Field(default_factory=dict)
    platform: WebPlatform | None = Field(None, description="Inline content only; as written.")
    notification: NotificationContent | None = None
    message: Message | None = None
    languages: Languages = Field(default_factory=dict)
    options: PushOptions | None = Field(None, description="Merged over the template's options.")
    custom_args: MappingOrString | None = Field(None, description="Echoed in callbacks.")
    request_id: str | None = None
    from_: str = Field("push", alias="from", description="The sender label (default push).")

    @field_validator("to", mode="before")
    @classmethod
    def _audience_shape(cls, value: Any) -> Any:
        if (isinstance(value, str) and value != "all") or not isinstance(value, str | dict):
            fail('must be "all" or a mapping of tag, tag_and, tag_not, alias, registration_id')
        return value

    @model_validator(mode="after")
    def _one_content(self) -> Self:
        given = [
            k
            for k, v in (
                ("template", self.template),
                ("notification", self.notification),
                ("message", self.message),
            )
            if v is not None
        ]
        if len(given) != 1:
            fail("needs exactly one of template, notification or message")
        if self.template is not None and self.languages:
            fail("belongs to the template when one is used", "languages")
        if self.template is not None and self.platform is not None:
            fail("belongs to the template when one is used", "platform")
        return self


class ScheduleSpec(StrictModel):
    enabled: bool = True
    trigger: Trigger
    push: SchedulePush


class ScheduleMetadata(Metadata):
    name: ApiName
    renamed_from: ApiName | None = Field(
        None,
        description="The schedule's previous metadata.name: the live task prefix+OLD is renamed "
        "in place with one update (no delete, no second send). A no-op once the rename landed.",
    )


class ScheduleModel(_Document):
    """A scheduled task; its live name is the ownership prefix + metadata.name."""

    kind: Literal["Schedule"]
    metadata: ScheduleMetadata
    spec: ScheduleSpec

    @model_validator(mode="after")
    def _live_name_fits(self, info: ValidationInfo) -> Self:
        ctx = validation_context(info)
        if ctx is not None:
            size = len((ctx.prefix + self.metadata.name).encode())
            if size > MAX_SCHEDULE_NAME_BYTES:
                fail(
                    f"prefix + name is {size} bytes; the API allows at most "
                    f"{MAX_SCHEDULE_NAME_BYTES}",
                    "metadata",
                    "name",
                )
        return self


# --- Device and Tag ------------------------------------------------------------------------------


class DeviceSpec(StrictModel):
    registration_id: RegistrationId
    alias: AliasOrEmpty | None = Field(None, description='Absent: leave alone; "": remove.')
    tags: list[TagName] = Field(default_factory=list, max_length=100)


class DeviceModel(_Document):
    """A device the project knows: its alias and the managed tags it must carry."""

    kind: Literal["Device"]
    spec: DeviceSpec


class TagSpec(StrictModel):
    mode: Literal["exact", "additive"] = Field(
        "exact", description="exact: known devices not listed lose the tag; additive: never."
    )
    members: list[RegistrationId] = Field(default_factory=list)
    members_file: str | None = Field(
        None, min_length=1, description="One registration id per line, # comments; relative."
    )
    remove: list[RegistrationId] = Field(
        default_factory=list, description="Devices that must not carry the tag."
    )


class TagMetadata(Metadata):
    name: TagName


class TagModel(_Document):
    """A managed tag and its members."""

    kind: Literal["Tag"]
    metadata: TagMetadata
    spec: TagSpec = TagSpec()


DocumentModel = ProjectModel | TemplateModel | ScheduleModel | DeviceModel | TagModel
MODELS: dict[str, type[DocumentModel]] = {
    "Project": ProjectModel,
    "Template": TemplateModel,
    "Schedule": ScheduleModel,
    "Device": DeviceModel,
    "Tag": TagModel,
}
Document = Annotated[DocumentModel, Field(discriminator="kind")]
