"""The Starlette app: routing plus the one pipeline every call goes through.

Pipeline (API routes): authenticate → QPS limit → injected latency / 5xx / drop → parse JSON →
fire due schedules → handler → log → answer with a ``Date`` header from the emulator clock.
Endpoints are ASGI callables rather than request/response functions so the pipeline can cut a
connection half-way through a response, which a Starlette ``Response`` cannot do.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import format_datetime as http_date
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from webpush_iac.emulator import admin, devices, push, schedules, tags
from webpush_iac.emulator.config import EmulatorConfig
from webpush_iac.emulator.core import NO_BODY, Call, Emulator, Handler
from webpush_iac.emulator.faults import _DroppedConnection
from webpush_iac.emulator.protocol import (
    FAMILY_CODES,
    PUSH_METHOD_NOT_ALLOWED,
    PUSH_SERVICE_TIMEOUT,
    RATE_LIMITED,
    RATE_LIMITED_MESSAGE,
    Family,
    _ApiFailure,
    invalid,
)

logger = logging.getLogger("webpush_iac.emulator")

# Codes for an unexpected failure: DOC* 21009 (push), 27000 (device), JPUSH 8200 -> 28200.
_INTERNAL_CODES: dict[Family, int] = {
    "push": 21009,
    "schedule": 28200,
    "device": 27000,
    "admin": 21009,
}


@dataclass
class _Outcome:
    status: int = 200
    body: Any = None
    drop: bool = False


def _parse_json(raw: bytes, family: Family) -> Any:
    if not raw.strip():
        return NO_BODY

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(raw.decode("utf-8"), parse_constant=no_constants)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise invalid(family, "request body is not valid JSON") from None


def _loggable_body(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return raw.decode("utf-8", errors="replace")


class Endpoint:
    """One path: its handlers by method, its error-code family and whether it is an admin route."""

    def __init__(
        self,
        emu: Emulator,
        handlers: Mapping[str, Handler],
        family: Family,
        *,
        admin: bool = False,
    ) -> None:
        self.emu = emu
        self.handlers = dict(handlers)
        self.family = family
        self.admin = admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        raw = await request.body()
        outcome = await self._run(request, raw)
        if not self.admin:
            self._log(request, raw, outcome)
        if outcome.drop:
            await _drop(send)
        await self._answer(send, outcome)

    async def _run(self, request: Request, raw: bytes) -> _Outcome:
        try:
            return await self._dispatch(request, raw)
        except _ApiFailure as failure:
            return _Outcome(failure.status, failure.body())
        except Exception:
            logger.exception("emulator failed on %s %s", request.method, request.url.path)
            code = _INTERNAL_CODES[self.family]
            return _Outcome(500, {"error": {"code": code, "message": "internal error"}})

    async def _dispatch(self, request: Request, raw: bytes) -> _Outcome:
        emu = self.emu
        now = emu.now()
        app_key = self._authenticate(request)
        if not self.admin:
            if emu.limiter.acquire(app_key, emu.faults.qps) < 1:
                # DOC*: 23008 comes with HTTP 400, not 429.
                raise _ApiFailure(400, RATE_LIMITED, RATE_LIMITED_MESSAGE)
            if emu.faults.latency_ms:
                await asyncio.sleep(emu.faults.latency_ms / 1000)
            if emu.faults.roll_fail():
                raise _ApiFailure(503, PUSH_SERVICE_TIMEOUT, "internal service timeout")  # DOC*
            if emu.faults.roll_drop():
                return _Outcome(drop=True)
        handler = self.handlers.get(request.method)
        if handler is None:
            if not self.handlers:
                code = FAMILY_CODES[self.family][3]
                raise _ApiFailure(404, code, f"no such API: {request.url.path}")
            code = (
                PUSH_METHOD_NOT_ALLOWED if self.family == "push" else FAMILY_CODES[self.family][2]
            )
            raise _ApiFailure(405, code, f"{request.method} is not supported here")
        body = _parse_json(raw, self.family) if request.method in ("POST", "PUT") else NO_BODY
        if not self.admin:
            schedules.evaluate(emu, now)
        call = Call(
            emu=emu,
            method=request.method,
            params={k: str(v) for k, v in request.path_params.items()},
            query=request.query_params,
            raw_body=body,
            now=now,
            family=self.family,
            app_key=app_key,
        )
        reply = handler(call)
        return _Outcome(reply.status, reply.body, drop=call.drop_after_reply)

    def _authenticate(self, request: Request) -> str:
        """HTTP Basic against the configured key and secret; returns the app key."""
        missing, wrong, _, _ = FAMILY_CODES[self.family]
        header = request.headers.get("authorization")
        if not header:
            raise _ApiFailure(401, missing, "authentication information is missing")
        scheme, _, token = header.partition(" ")
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            decoded = ""
        key, sep, secret = decoded.partition(":")
        config = self.emu.config
        key_ok = hmac.compare_digest(key.encode(), config.app_key.encode())
        secret_ok = hmac.compare_digest(secret.encode(), config.master_secret.encode())
        if scheme.lower() != "basic" or not sep or not (key_ok and secret_ok):
            raise _ApiFailure(401, wrong, "authentication failed")
        return key

    def _log(self, request: Request, raw: bytes, outcome: _Outcome) -> None:
        """Method, path, query, status and body only: headers (Authorization) are never kept."""
        try:
            self.emu.store.log_request(
                method=request.method,
                path=request.url.path,
                query=request.url.query,
                status=outcome.status,
                body=_loggable_body(raw),
                time=self.emu.clock.now().isoformat(),
                dropped=outcome.drop,
            )
        except Exception:
            logger.exception("emulator could not log %s %s", request.method, request.url.path)

    async def _answer(self, send: Send, outcome: _Outcome) -> None:
        headers = [(b"date", http_date(self.emu.clock.now().astimezone(UTC), usegmt=True).encode())]
        payload = b""
        if outcome.body is not None:
            payload = json.dumps(outcome.body, ensure_ascii=False).encode("utf-8")
            headers.append((b"content-type", b"application/json; charset=utf-8"))
        headers.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": outcome.status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


async def _drop(send: Send) -> None:
    """Promise a body, send part of it, then fail: uvicorn closes the socket mid-body (the client
    sees a truncated response); in-process callers get the ConnectionResetError itself."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"64")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"schedule_id": "', "more_body": True})
    raise _DroppedConnection("the emulator dropped the connection (injected fault)")


def _routes(emu: Emulator) -> list[Route]:
    def api(path: str, family: Family, **handlers: Handler) -> Route:
        return Route(path, Endpoint(emu, handlers, family))

    def adm(path: str, **handlers: Handler) -> Route:
        return Route(path, Endpoint(emu, handlers, "admin", admin=True))

    return [
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
        api("/v4/tags/{tag}", "device", POST=tags.update_tag, DELETE=tags.delete_tag),
        api("/v4/tags/{tag}/registration_ids/{rid}", "device", GET=tags.tag_has_device),
        api("/v4/tags_count", "device", GET=tags.tags_count),
        api("/v4/aliases/{alias}", "device", GET=tags.get_alias, DELETE=tags.delete_alias),
        api("/v4/push", "push", POST=push.push),
        api("/v4/push/validate", "push", POST=push.validate_push),
        api("/v4/batch/push/regid", "push", POST=push.batch_by_regid),
        api("/v4/batch/push/alias", "push", POST=push.batch_by_alias),
        api("/v4/messages/details", "push", GET=push.message_details),
        adm("/_emulator/devices", POST=admin.seed_devices),
        adm("/_emulator/clock", GET=admin.get_clock, POST=admin.set_clock),
        adm("/_emulator/requests", GET=admin.get_requests),
        adm("/_emulator/faults", GET=admin.get_faults, POST=admin.set_faults),
        adm("/_emulator/reset", POST=admin.reset),
        Route("/_emulator/{rest:path}", Endpoint(emu, {}, "admin", admin=True)),
        Route("/v4/schedules/{rest:path}", Endpoint(emu, {}, "schedule")),
        Route("/v4/{rest:path}", Endpoint(emu, {}, "push")),
    ]


def create_app(config: EmulatorConfig) -> Starlette:
    """A fresh emulator app. Its state (``app.state.emulator``) opens the store on first use."""
    emu = Emulator(config)
    app = Starlette(routes=_routes(emu))
    # Anything unrouted (including paths the catch-alls' regexes cannot match, such as ones
    # with a newline) gets the JSON 404 of our pipeline, never Starlette's text or a redirect.
    app.router.redirect_slashes = False
    app.router.default = Endpoint(emu, {}, "push")
    app.state.emulator = emu
    return app


def emulator_of(app: Starlette) -> Emulator:
    """The :class:`Emulator` behind an app made by :func:`create_app` (tests, server shutdown)."""
    emu = app.state.emulator
    assert isinstance(emu, Emulator)
    return emu
