"""The routing table of each product: the shared schedule, device, tag, alias and
push routes, then the product's own ones; anything else answers the pipeline's JSON 404, so the
web product answers 404 for App-only endpoints and the other way round."""

from __future__ import annotations

from starlette.routing import Route

from webpush_iac.emulator import admin, devices, plans, push, schedules, stats, tags, voices
from webpush_iac.emulator.core import Call, Emulator, Handler
from webpush_iac.emulator.pipeline import Endpoint
from webpush_iac.emulator.protocol import Family, Reply


def routes(emu: Emulator) -> list[Route]:
    def api(path: str, family: Family, multipart: bool = False, **handlers: Handler) -> Route:
        return Route(path, Endpoint(emu, handlers, family, multipart=multipart))

    def adm(path: str, **handlers: Handler) -> Route:
        return Route(path, Endpoint(emu, handlers, "admin", admin=True))

    shared = [
        api(
            "/v4/schedules",
            "schedule",
            GET=schedules.list_schedules,
            POST=schedules.create_schedule,
        ),
        api(
            "/v4/schedules/{schedule_id}",
            "schedule",
            GET=schedules.get_schedule,
            PUT=schedules.update_schedule,
            DELETE=schedules.delete_schedule,
        ),
        api("/v4/schedules/{schedule_id}/msg-ids", "schedule", GET=schedules.schedule_msg_ids),
        api("/v4/devices/status", "device", POST=devices.devices_status),
        api(
            "/v4/devices/{rid}",
            "device",
            GET=devices.get_device,
            POST=devices.set_device,
            DELETE=devices.delete_device,
        ),
        api("/v4/tags", "device", GET=tags.list_tags),
        api("/v4/tags_count", "device", GET=tags.tags_count),
        api("/v4/aliases/{alias}", "device", GET=tags.get_alias, DELETE=tags.delete_alias),
        api("/v4/push", "push", POST=push.push),
        api("/v4/push/validate", "push", POST=push.validate_push),
        api("/v4/batch/push/regid", "push", POST=push.batch_by_regid),
        api("/v4/batch/push/alias", "push", POST=push.batch_by_alias),
    ]
    tag_routes = [
        api("/v4/tags/{tag}", "device", POST=tags.update_tag, DELETE=tags.delete_tag),
        api("/v4/tags/{tag}/registration_ids/{rid}", "device", GET=tags.tag_has_device),
    ]
    if emu.product == "web":
        own = [
            api("/v4/messages/details", "push", GET=stats.message_details),
            api("/v4/tags/quota-info", "device"),  # App only: 404 here, not a tag's 405
        ]
    else:
        own = [
            api("/v4/devices/token/registration_id", "device", POST=devices.token_registration),
            api("/v4/tags/quota-info", "device", GET=tags.quota_info),
            api("/v4/push/withdraw/{msg_id}", "push", DELETE=push.withdraw),
            api("/v4/push_plan", "push", POST=plans.upsert_plan),
            api("/v4/push_plan/list", "push", GET=plans.list_plans, DELETE=_delete_plan_named_list),
            api("/v4/push_plan/batch/{plan_ids}", "push", DELETE=plans.delete_plans),
            api("/v4/push_plan/{plan_id}", "push", DELETE=plans.delete_plan),
            api("/v4/status/detail", "push", GET=stats.status_detail),
            # DOC: the statistics page's curl example calls the web path; GUESS: same answer.
            api("/v4/messages/details", "push", GET=stats.status_detail),
            api("/v4/status/plan/msg/", "push", GET=stats.plan_messages),
            api("/v4/status/plan/msg", "push", GET=stats.plan_messages),
            api("/v4/status/plan/detail", "push", GET=stats.plan_detail),
            api(
                "/v4/voices",
                "push",
                multipart=True,
                GET=voices.list_voices,
                POST=voices.upload_voice,
                DELETE=voices.delete_voice,
            ),
            api(
                "/v4/voices/{language}",
                "push",
                GET=voices.get_voice,
                DELETE=voices.delete_voice,
            ),
        ]
    admin_routes = [
        adm("/_emulator/devices", POST=admin.seed_devices),
        adm("/_emulator/clock", GET=admin.get_clock, POST=admin.set_clock),
        adm("/_emulator/requests", GET=admin.get_requests),
        adm("/_emulator/faults", GET=admin.get_faults, POST=admin.set_faults),
        adm("/_emulator/reset", POST=admin.reset),
        Route("/_emulator/{rest:path}", Endpoint(emu, {}, "admin", admin=True)),
        Route("/v4/schedules/{rest:path}", Endpoint(emu, {}, "schedule")),
        Route("/v4/{rest:path}", Endpoint(emu, {}, "push")),
    ]
    return [*shared, *own, *tag_routes, *admin_routes]


def _delete_plan_named_list(call: Call) -> Reply:
    """A plan may be called ``list``: its DELETE lands on the list path."""
    call.params["plan_id"] = "list"
    return plans.delete_plan(call)
