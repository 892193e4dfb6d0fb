"""The one pipeline every call goes through.

API routes: authenticate (from the headers, before any body is read) → QPS limit → injected
latency / 5xx / drop → read the body under the size cap → parse JSON or a multipart form → fire
due schedules → handler → log → answer with a ``Date`` header from the emulator clock.

A request refused for its credentials never has its body kept (it is drained and dropped), and
neither has one past the cap: the request log and the database stay small whatever is thrown at
them. Endpoints are ASGI callables rather than request/response functions so the pipeline can cut
a connection half-way through a response, which a Starlette ``Response`` cannot do.
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

from starlette.datastructures import QueryParams, UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from webpush_iac.emulator import schedules
from webpush_iac.emulator.core import NO_BODY, Call, Emulator, Handler
from webpush_iac.emulator.faults import _DroppedConnection
from webpush_iac.emulator.protocol import (
    FAMILY_CODES,
    FAMILY_TOO_LARGE,
    PUSH_METHOD_NOT_ALLOWED,
    PUSH_SERVICE_TIMEOUT,
    RATE_LIMITED,
    RATE_LIMITED_MESSAGE,
    Family,
    RawJSON,
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
_JSON_HEADERS = (b"content-type", b"application/json; charset=utf-8")


@dataclass
class _Outcome:
    status: int = 200
    body: Any = None
    drop: bool = False


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_json(raw: bytes, family: Family) -> Any:
    if not raw.strip():
        return NO_BODY
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise invalid(family, "request body is not valid JSON") from None


def _loggable_body(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return raw.decode("utf-8", errors="replace")


async def _read_body(receive: Receive, cap: int, declared: int | None) -> bytes | None:
    """The whole body, or None when it is longer than ``cap`` (the rest is read and dropped so
    the connection stays usable)."""
    chunks: list[bytes] = []
    size = 0
    over = declared is not None and declared > cap
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        if not over:
            size += len(chunk)
            if size > cap:
                over = True
                chunks.clear()
            elif chunk:
                chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return None if over else b"".join(chunks)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class Endpoint:
    """One path: its handlers by method, its error-code family and whether it is an admin route
    (admin routes are not faulted, rate limited or logged)."""

    def __init__(
        self,
        emu: Emulator,
        handlers: Mapping[str, Handler],
        family: Family,
        *,
        admin: bool = False,
        multipart: bool = False,
    ) -> None:
        self.emu = emu
        self.handlers = dict(handlers)
        self.family = family
        self.admin = admin
        self.multipart = multipart

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        seen: list[bytes] = []  # the body, once read and within the cap (what the log keeps)
        try:
            outcome = await self._run(scope, receive, seen)
        except _ApiFailure as failure:
            outcome = _Outcome(failure.status, failure.body())
        except Exception:
            logger.exception("emulator failed on %s %s", scope["method"], scope["path"])
            code = _INTERNAL_CODES[self.family]
            outcome = _Outcome(500, {"error": {"code": code, "message": "internal error"}})
        if not self.admin:
            self._log(scope, seen[0] if seen else b"", outcome)
        if outcome.drop:
            await _drop(send)
        await self._answer(send, outcome)

    async def _run(self, scope: Scope, receive: Receive, seen: list[bytes]) -> _Outcome:
        emu = self.emu
        method: str = scope["method"]
        try:
            app_key = self._authenticate(scope)
        except _ApiFailure:
            await _read_body(receive, 0, None)  # drained, never kept
            raise
        rules = emu.rules
        cap = rules.max_upload_bytes if self.multipart else rules.max_body_bytes
        length = _header(scope, b"content-length")
        declared = int(length) if length is not None and length.isdigit() else None
        raw = await _read_body(receive, cap, declared)
        if raw is None:
            raise _ApiFailure(413, FAMILY_TOO_LARGE[self.family], f"body is over {cap} bytes")
        seen.append(raw)
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
        handler = self.handlers.get(method)
        if handler is None:
            if not self.handlers:
                code = FAMILY_CODES[self.family][3]
                raise _ApiFailure(404, code, f"no such API: {scope['path']}")
            code = (
                PUSH_METHOD_NOT_ALLOWED if self.family == "push" else FAMILY_CODES[self.family][2]
            )
            raise _ApiFailure(405, code, f"{method} is not supported here")
        form = None
        body = NO_BODY
        if self.multipart:
            form = await self._form(scope, raw)
        elif method in ("POST", "PUT"):
            body = _parse_json(raw, self.family)
        now = emu.now()
        if not self.admin:
            schedules.evaluate(emu, now)
        call = Call(
            emu=emu,
            method=method,
            params={k: str(v) for k, v in scope.get("path_params", {}).items()},
            query=QueryParams(scope["query_string"]),
            raw_body=body,
            now=now,
            family=self.family,
            app_key=app_key,
            form=form,
        )
        reply = handler(call)
        return _Outcome(reply.status, reply.body, drop=call.drop_after_reply)

    async def _form(self, scope: Scope, raw: bytes) -> dict[str, Any] | None:
        """A multipart body as ``{name: str | (filename, bytes)}``; None when it is not one."""
        content_type = (_header(scope, b"content-type") or b"").decode("latin-1")
        if not content_type.lower().startswith("multipart/form-data"):
            return None
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        try:
            async with Request(scope, replay).form(max_files=4, max_fields=16) as form:
                fields: dict[str, Any] = {}
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        fields[name] = (value.filename or "", await value.read())
                    else:
                        fields[name] = value
                return fields
        except (MultiPartException, ValueError, KeyError) as exc:
            raise invalid(self.family, f"malformed multipart body: {exc}") from None

    def _authenticate(self, scope: Scope) -> str:
        """HTTP Basic against the configured key and secret; returns the app key."""
        missing, wrong, _, _ = FAMILY_CODES[self.family]
        header = _header(scope, b"authorization")
        if not header:
            raise _ApiFailure(401, missing, "authentication information is missing")
        scheme, _, token = header.decode("latin-1").partition(" ")
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

    def _log(self, scope: Scope, raw: bytes, outcome: _Outcome) -> None:
        """Method, path, query, status and body only: headers (Authorization) are never kept."""
        try:
            self.emu.store.log_request(
                method=scope["method"],
                path=scope["path"],
                query=scope["query_string"].decode("latin-1"),
                status=outcome.status,
                body=None if self.multipart else _loggable_body(raw),
                time=self.emu.clock.now().isoformat(),
                dropped=outcome.drop,
            )
        except Exception:
            logger.exception("emulator could not log %s %s", scope["method"], scope["path"])

    async def _answer(self, send: Send, outcome: _Outcome) -> None:
        headers = [(b"date", http_date(self.emu.clock.now().astimezone(UTC), usegmt=True).encode())]
        payload = b""
        if isinstance(outcome.body, RawJSON):
            payload = outcome.body.encode("utf-8")
            headers.append(_JSON_HEADERS)
        elif outcome.body is not None:
            payload = json.dumps(outcome.body, ensure_ascii=False).encode("utf-8")
            headers.append(_JSON_HEADERS)
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
