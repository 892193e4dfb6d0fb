"""No input, however malformed, makes the emulator answer 500 , on either product."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.constants import APP_KEY, EMULATOR_BASE_URL, MASTER_SECRET

from webpush_iac.emulator import EmulatorConfig, create_app, emulator_of

pytestmark = pytest.mark.slow  # hypothesis: hundreds of malformed requests per route

ROUTES = [
    ("GET", "/v4/schedules"),
    ("POST", "/v4/schedules"),
    ("GET", "/v4/schedules/{id}"),
    ("PUT", "/v4/schedules/{id}"),
    ("DELETE", "/v4/schedules/{id}"),
    ("GET", "/v4/schedules/{id}/msg-ids"),
    ("GET", "/v4/devices/{rid}"),
    ("POST", "/v4/devices/{rid}"),
    ("DELETE", "/v4/devices/{rid}"),
    ("POST", "/v4/devices/status"),
    ("GET", "/v4/tags"),
    ("POST", "/v4/tags/{seg}"),
    ("DELETE", "/v4/tags/{seg}"),
    ("GET", "/v4/tags/{seg}/registration_ids/{rid}"),
    ("GET", "/v4/tags_count"),
    ("GET", "/v4/aliases/{seg}"),
    ("DELETE", "/v4/aliases/{seg}"),
    ("POST", "/v4/push"),
    ("POST", "/v4/push/validate"),
    ("POST", "/v4/batch/push/regid"),
    ("POST", "/v4/batch/push/alias"),
    ("GET", "/v4/messages/details"),
    ("POST", "/_emulator/devices"),
    ("POST", "/_emulator/clock"),
    ("GET", "/_emulator/requests"),
    ("POST", "/_emulator/faults"),
]
APP_ROUTES = [
    *ROUTES,
    ("POST", "/v4/push_plan"),
    ("GET", "/v4/push_plan/list"),
    ("DELETE", "/v4/push_plan/{seg}"),
    ("DELETE", "/v4/push_plan/batch/{seg}"),
    ("GET", "/v4/status/detail"),
    ("GET", "/v4/status/plan/msg/"),
    ("GET", "/v4/status/plan/detail"),
    ("GET", "/v4/voices"),
    ("POST", "/v4/voices"),
    ("GET", "/v4/voices/{seg}"),
    ("DELETE", "/v4/voices/{seg}"),
    ("DELETE", "/v4/push/withdraw/{id}"),
    ("GET", "/v4/tags/quota-info"),
    ("POST", "/v4/devices/token/registration_id"),
]
ROUTES_OF = {"web": ROUTES, "app": APP_ROUTES}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
segments = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]),
    min_size=1,
    max_size=45,
)
queries = st.dictionaries(
    st.sampled_from(
        [
            "page",
            "tags",
            "platform",
            "message_ids",
            "since",
            "limit",
            "page_index",
            "page_size",
            "send_source",
            "search_description",
            "plan_ids",
            "start_date",
            "end_date",
            "language",
        ]
    ),
    st.text(max_size=20),
    max_size=3,
)

PUSH: dict[str, Any] = {
    "to": {"tag": ["beta"]},
    "body": {
        "platform": "web",
        "notification": {"web": {"alert": "a", "url": "https://e.x"}},
        "options": {
            "time_to_live": 60,
            "web_buttons": [{"id": "b", "text": "B", "url": "https://e.x/b"}],
        },
    },
}
VALID_BODIES: dict[str, Any] = {
    "/v4/schedules": {
        "name": "n",
        "enabled": True,
        "trigger": {
            "periodical": {
                "start": "2030-01-01 00:00:00",
                "end": "2030-03-01 00:00:00",
                "time": "09:00:00",
                "time_unit": "month",
                "frequency": 1,
                "point": ["01"],
                "zone_type": 2,
            }
        },
        "push": PUSH,
    },
    "/v4/push": PUSH,
    "/v4/devices/rid1": {"tags": {"add": ["a"], "remove": ["b"]}, "alias": "x"},
    "/v4/tags/beta": {"registration_ids": {"add": ["rid1"], "remove": ["rid2"]}},
    "/v4/batch/push/regid": {
        "requests": [
            {"target": "rid1", "platform": "web", "notification": PUSH["body"]["notification"]}
        ]
    },
    "/_emulator/devices": {"devices": [{"registration_id": "rid1", "tags": ["a"], "alias": "x"}]},
    "/_emulator/faults": {"zone2_fire": "utc", "zone2_leave": "latest", "max_body_bytes": 9000},
}
APP_PUSH = {
    "to": {"tag": ["beta"]},
    "body": {
        "platform": ["android", "ios"],
        "notification": {
            "alert": "a",
            "android": {"title": "t", "builder_id": 1, "intent": {"url": "x"}},
            "ios": {"sound": "default", "content-available": True},
        },
        "options": {"time_to_live": "60", "plan_id": "p1", "classification": 0},
    },
}
APP_BODIES: dict[str, Any] = {
    **{k: v for k, v in VALID_BODIES.items() if k not in ("/v4/push", "/v4/schedules")},
    "/v4/schedules": {**VALID_BODIES["/v4/schedules"], "push": APP_PUSH},
    "/v4/push": APP_PUSH,
    "/v4/push_plan": {"plan_id": "p1", "plan_description": "d"},
    "/v4/devices/token/registration_id": {"platform": "ios", "tokens": ["t1"]},
    "/v4/batch/push/regid": {
        "requests": [{"target": "rid1", "platform": "all", "notification": {"alert": "a"}}]
    },
}
BODIES_OF = {"web": VALID_BODIES, "app": APP_BODIES}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copied = copy.deepcopy(value)
    node = copied
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return copied


@st.composite
def mutated_bodies(draw: Callable[..., Any], bodies: dict[str, Any]) -> tuple[str, Any]:
    """A valid body with one node anywhere in it replaced by random JSON."""
    target = draw(st.sampled_from(sorted(bodies)))
    valid = bodies[target]
    path = draw(st.sampled_from(_paths(valid)))
    return target, _replace(valid, path, draw(json_values))


class _Harness:
    """One app and client for all examples, driven from a private event loop."""

    def __init__(self, product: str) -> None:
        self.app = create_app(EmulatorConfig(APP_KEY, MASTER_SECRET, product=product))  # type: ignore[arg-type]
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url=EMULATOR_BASE_URL,
            auth=(APP_KEY, MASTER_SECRET),
        )
        self.run(self.client.post("/_emulator/clock", json={"now": "2030-01-01 00:00:00"}))
        seed = {"devices": [{"registration_id": "rid1", "tags": ["beta"], "alias": "anna"}]}
        self.run(self.client.post("/_emulator/devices", json=seed))

    def run(self, coro: Any) -> httpx.Response:
        return self.loop.run_until_complete(coro)  # type: ignore[no-any-return]

    def close(self) -> None:
        self.run(self.client.aclose())
        self.loop.close()
        emulator_of(self.app).close()


def _assert_not_500(answer: httpx.Response) -> None:
    assert answer.status_code < 500, answer.text
    if answer.content:
        body = answer.json()
        if answer.status_code >= 400:
            assert set(body) == {"error"}
            assert isinstance(body["error"]["code"], int)


FUZZ = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


PRODUCTS = pytest.mark.parametrize("product", ["web", "app"])


@PRODUCTS
def test_random_json_bodies_and_segments_on_every_route_never_get_a_500(product):
    harness = _Harness(product)

    @FUZZ
    @given(
        route=st.sampled_from(ROUTES_OF[product]),
        body=json_values,
        segment=segments,
        query=queries,
    )
    def check(route: tuple[str, str], body: Any, segment: str, query: dict[str, str]) -> None:
        method, template = route
        encoded = quote(segment, safe="")
        path = template.format(id=encoded, rid=encoded, seg=encoded)
        content = json.dumps(body).encode() if method in ("POST", "PUT") else None
        answer = harness.run(harness.client.request(method, path, content=content, params=query))
        _assert_not_500(answer)

    try:
        check()
    finally:
        harness.close()


@PRODUCTS
def test_valid_bodies_with_one_random_node_never_get_a_500(product):
    harness = _Harness(product)

    @FUZZ
    @given(case=mutated_bodies(BODIES_OF[product]))
    def check(case: tuple[str, Any]) -> None:
        path, body = case
        answer = harness.run(harness.client.post(path, json=body))
        _assert_not_500(answer)

    try:
        check()
    finally:
        harness.close()


@PRODUCTS
def test_non_json_bytes_never_get_a_500(product):
    harness = _Harness(product)
    writes = [r for r in ROUTES_OF[product] if r[0] in ("POST", "PUT")]

    @FUZZ
    @given(route=st.sampled_from(writes), raw=st.binary())
    def check(route: tuple[str, str], raw: bytes) -> None:
        method, template = route
        path = template.format(id="x", rid="rid1", seg="beta")
        _assert_not_500(harness.run(harness.client.request(method, path, content=raw)))

    try:
        check()
    finally:
        harness.close()
