"""The async EngageLab Push v4 client: auth, rate limiting, retries, error mapping.

The only module that imports httpx: every httpx or socket error is turned into an
:mod:`webpush_iac.errors` type here, so callers never see a third-party exception. What each
endpoint means lives in :mod:`webpush_iac.client.endpoints`; the pure retry and decoding rules in
:mod:`webpush_iac.client.policy`; base URLs and credentials in :mod:`webpush_iac.client.config`.

Secrets: the Authorization header is built by httpx from :class:`Credentials` and never logged
(httpx redacts it in ``Headers`` reprs and httpcore logs no request headers); our own log lines
carry method, path, status, attempt and elapsed time only, and any error text the server sends
back is scrubbed of the secret before it reaches an exception.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import httpx

from webpush_iac import __version__
from webpush_iac.client.config import Credentials, check_base_url
from webpush_iac.client.endpoints import EndpointsMixin
from webpush_iac.client.policy import (
    _UndecodableBody,
    ambiguous_error,
    backoff_delay,
    decode_success,
    embedded_error,
    error_class,
    error_for,
    is_idempotent,
    no_answer_error,
    no_retry_reason,
    parse_http_date,
    parse_retry_after,
    retry_reason,
    retry_when_rate_limited,
    timeout_error,
    transport_error,
)
from webpush_iac.client.ratelimit import Clock, Sleep, TokenBucket, shared_bucket
from webpush_iac.client.retrybudget import READ_BUDGET, retry_budget
from webpush_iac.errors import (
    ApiError,
    RateLimitedError,
    ReadOnlyViolation,
    ServerError,
    TransportError,
)
from webpush_iac.redaction import redact, secret_pattern
from webpush_iac.state import DEFAULT_TIMEOUT, TIMEOUT_ATTEMPTS

logger = logging.getLogger("webpush_iac.client")

ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]
#: Called once per attempt, after the in-flight slot and the rate-limit wait, right before the
#: request's bytes go out; if it raises, that attempt is not sent and the exception propagates.
BeforeSend = Callable[[], None]

#: httpx errors raised before any byte of the request left: safe to report as "not sent".
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.ProxyError,
)
#: What each httpx timeout means, for messages; connect and pool timeouts happen before any byte
#: of the request left.
_TIMEOUT_KINDS: tuple[tuple[type[httpx.TimeoutException], str], ...] = (
    (httpx.ConnectTimeout, "connect timeout"),
    (httpx.ReadTimeout, "read timeout"),
    (httpx.WriteTimeout, "write timeout"),
    (httpx.PoolTimeout, "pool timeout"),
)


#: Connections per httpx pool; a client of ``concurrency`` N holds ceil(N / POOL_SIZE) pools.
#: httpcore's pool scans every connection it holds (and, in its keep-alive rule, every one again
#: per idle one) on each request and each answer, so the cost of a pool grows faster than its size:
#: at 32 connections the scans cost more CPU than the rest of the request, and small pools keep them
#: short (profile in benchmarks/RESULTS.md). Each pool keeps all its connections alive: httpx's
#: keep-alive limit counts all connections, not idle ones, so any limit below the pool size would
#: close a connection after every answer.
POOL_SIZE = 8


@dataclass
class ClientStats:
    """Counters for one client: ``requests`` counts every attempt put on the wire."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    transport_errors: int = 0


@dataclass
class _Answer:
    """One attempt's result: decoded data, or the error to raise or retry on."""

    data: Any = None
    error: ApiError | TransportError | None = None
    retry_after: float | None = None
    timed_out: str | None = None  # which timeout ended the attempt ("read timeout", ...)


class EngageLabClient(EndpointsMixin):
    """Async client for the Web Push v4 API; use as ``async with EngageLabClient(...) as c``.

    ``timeout`` bounds each wait of one attempt (connect, send, each read). An idempotent call
    whose attempts time out gives up after :data:`TIMEOUT_ATTEMPTS` of them with a
    :class:`NoAnswerError`, so a silent server costs at most that many timeouts per call (plus
    under a second of backoff) instead of ``max_retries`` of them.
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        qps: float = 450.0,
        concurrency: int = 32,
        read_only: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 5,
        read_budget: tuple[int, float] = READ_BUDGET,  # a GET's retries, seconds of backoff
        transport: httpx.AsyncBaseTransport | None = None,
        asgi_app: ASGIApp | None = None,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
        clock: Clock | None = None,
        limiter: TokenBucket | None = None,
        backoff_base: float = 0.2,
        backoff_cap: float = 10.0,
    ) -> None:
        if transport is not None and asgi_app is not None:
            raise ValueError("pass transport or asgi_app, not both")
        if concurrency < 1 or min(max_retries, *read_budget) < 0 or not timeout > 0:
            raise ValueError("concurrency must be >= 1, retries and read budget >= 0, timeout > 0")
        self.base_url = check_base_url(base_url, in_process=asgi_app is not None)
        self.credentials = credentials
        self.read_only = read_only
        self.max_retries, self.read_budget = max_retries, read_budget
        self.timeout = float(timeout)
        self.stats = ClientStats()
        if limiter is None:
            limiter = shared_bucket(credentials.app_key, self.base_url, qps, clock=clock)
        self.limiter = limiter
        self._sleep: Sleep = sleep or asyncio.sleep
        self._rng = rng or random.Random()
        self._backoff = (backoff_base, backoff_cap)
        self._semaphore = asyncio.Semaphore(concurrency)
        self._server_time: datetime | None = None
        token = f"{credentials.app_key}:{credentials.master_secret}".encode()
        pattern = secret_pattern((credentials.master_secret, base64.b64encode(token).decode()))
        self._scrub: Callable[[str], str] = lambda text: redact(text, pattern)  # whole words
        if asgi_app is not None:
            transport = httpx.ASGITransport(app=asgi_app)
        shards, size = 1, concurrency
        if transport is None:  # an injected transport is one object: it cannot be split
            shards = -(-concurrency // POOL_SIZE)
            size = -(-concurrency // shards)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        ssl_context = httpx.create_ssl_context() if transport is None else True  # loaded once
        self._pools = [
            httpx.AsyncClient(
                auth=httpx.BasicAuth(credentials.app_key, credentials.master_secret),
                headers={"Accept": "application/json", "User-Agent": f"webpush-iac/{__version__}"},
                timeout=httpx.Timeout(timeout),
                limits=limits,
                verify=ssl_context,
                transport=transport,
                follow_redirects=False,
            )
            for _ in range(shards)
        ]
        self._in_flight = [0] * shards

    def __repr__(self) -> str:
        mode = ", read_only=True" if self.read_only else ""
        return f"EngageLabClient(base_url={self.base_url!r}, app_key={self.credentials.app_key!r}{mode})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()

    @property
    def server_time(self) -> datetime | None:
        """The API's clock: the ``Date`` header of the last answer, as an aware UTC datetime."""
        return self._server_time

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
        before_send: BeforeSend | None = None,
    ) -> Any:
        """Send one API call with rate limiting and retries; return the decoded answer.

        ``idempotent`` overrides the method/path rule of docs/api-notes.md "Retries" (only
        idempotent calls are retried: writes ``max_retries`` times, a GET within ``read_budget``);
        a non-idempotent call whose outcome is unknown raises AmbiguousWriteError. ``before_send``
        runs before every attempt once it holds its in-flight slot and rate-limit permit, so a
        journal written there records a call exactly when it goes out; if it raises, nothing is
        sent and its exception propagates unchanged.
        """
        method = method.upper()
        if not path.startswith("/"):
            raise ValueError("path must start with '/'")
        if self.read_only and method != "GET":
            raise ReadOnlyViolation(f"{method} {path} refused: this client is read-only")
        if idempotent is None:
            idempotent = is_idempotent(method, path)
        retry_refusals = idempotent or retry_when_rate_limited(method, path)
        budget = retry_budget(method, self.max_retries, self.read_budget)
        plain_500s = 0
        timeouts = 0
        attempt = 0
        while True:
            attempt += 1
            answer = await self._attempt(
                method, path, json, params, idempotent, attempt, before_send
            )
            error = answer.error
            if error is None:
                return answer.data
            if answer.timed_out is not None and idempotent:
                timeouts += 1
                if timeouts >= TIMEOUT_ATTEMPTS or attempt > budget.max_retries:
                    raise no_answer_error(method, path, answer.timed_out, self.timeout, attempt)
            if isinstance(error, ApiError) and error.status == 500:
                plain_500s += 1  # retriable codes (27000) are retried whatever this count says
            refused = isinstance(error, RateLimitedError) and retry_refusals
            why = no_retry_reason(error, idempotent or refused, plain_500s)
            if why:
                logger.debug("%s %s: not retried (%s): %s", method, path, why, error)
                raise error
            delay = backoff_delay(
                attempt - 1, self._rng, base=self._backoff[0], cap=self._backoff[1]
            )
            delay = max(delay, answer.retry_after or 0.0)  # a longer Retry-After wins
            if not budget.take(attempt - 1, delay, f"{method} {path}"):
                raise error
            self.stats.retries += 1
            reason = retry_reason(error)
            logger.debug("%s %s: retry %d in %.3fs after %s", method, path, attempt, delay, reason)
            await self._sleep(delay)

    async def _attempt(
        self,
        method: str,
        path: str,
        json: Any,
        params: Mapping[str, Any] | None,
        idempotent: bool,
        attempt: int,
        before_send: BeforeSend | None,
    ) -> _Answer:
        async with self._semaphore:
            await self.limiter.acquire(self._sleep)
            if before_send is not None:
                before_send()
            self.stats.requests += 1
            started = time.perf_counter()
            # The least busy pool: with the semaphore capping the total, no pool ever holds more
            # requests than its connections, so none queues inside httpcore.
            pool = min(range(len(self._pools)), key=self._in_flight.__getitem__)
            self._in_flight[pool] += 1
            try:
                response = await self._pools[pool].request(
                    method, self.base_url + path, json=json, params=params
                )
            except httpx.TimeoutException as exc:
                return self._timed_out(method, path, exc, started, attempt, idempotent)
            except _NOT_SENT as exc:
                return self._transport_failure(method, path, exc, started, attempt, sent=False)
            except (httpx.RequestError, OSError) as exc:
                return self._transport_failure(
                    method, path, exc, started, attempt, sent=True, ambiguous=not idempotent
                )
            finally:
                self._in_flight[pool] -= 1
        elapsed = time.perf_counter() - started
        logger.debug(
            "%s %s -> %d (attempt %d, %.3fs)", method, path, response.status_code, attempt, elapsed
        )
        return self._interpret(method, path, response, idempotent)

    def _transport_failure(
        self,
        method: str,
        path: str,
        exc: BaseException,
        started: float,
        attempt: int,
        *,
        sent: bool,
        ambiguous: bool = False,
    ) -> _Answer:
        self.stats.transport_errors += 1
        elapsed = time.perf_counter() - started
        kind = type(exc).__name__
        logger.debug("%s %s -> %s (attempt %d, %.3fs)", method, path, kind, attempt, elapsed)
        detail = self._scrub(str(exc)) or "connection failed"
        # Not chained to ``exc``: its text is third-party and unscrubbed; ours carries the detail.
        error = transport_error(method, path, kind, detail, sent=sent, ambiguous=ambiguous)
        return _Answer(error=error)

    def _timed_out(
        self,
        method: str,
        path: str,
        exc: httpx.TimeoutException,
        started: float,
        attempt: int,
        idempotent: bool,
    ) -> _Answer:
        """A timed-out attempt, worded by which wait ran out (no third-party text involved)."""
        self.stats.transport_errors += 1
        kind = next((k for cls, k in _TIMEOUT_KINDS if isinstance(exc, cls)), "timeout")
        elapsed = time.perf_counter() - started
        logger.debug("%s %s -> %s (attempt %d, %.3fs)", method, path, kind, attempt, elapsed)
        sent = not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
        error = timeout_error(method, path, kind, self.timeout, sent=sent, idempotent=idempotent)
        return _Answer(error=error, timed_out=kind)

    def _interpret(
        self, method: str, path: str, response: httpx.Response, idempotent: bool
    ) -> _Answer:
        # Date is a singleton, yet an app server whose framework adds its own (uvicorn does) sends
        # two; the application's own, appended last, is the one that knows its clock.
        dates = [d for d in map(parse_http_date, response.headers.get_list("date")) if d]
        server_time = dates[-1] if dates else None
        if server_time is not None:
            self._server_time = server_time
        status = response.status_code
        body = response.content
        error: ApiError | TransportError | None = None
        if 200 <= status < 300:
            try:
                data = decode_success(body)
            except _UndecodableBody:
                error = error_for(status, body, method=method, path=path, scrub=self._scrub)
                error = ambiguous_error(error) if not idempotent else error
                return _Answer(error=error)
            found = embedded_error(data)
            if found is None:
                self.limiter.on_success()
                return _Answer(data=data)
            code, message = found
            error = error_class(status, code)(
                status=status, code=code, message=self._scrub(message), method=method, path=path
            )
        else:
            error = error_for(
                status,
                body,
                method=method,
                path=path,
                reason=response.reason_phrase,
                scrub=self._scrub,
            )
        if isinstance(error, RateLimitedError):
            self.stats.rate_limited += 1
            self.limiter.on_rate_limited()
        elif isinstance(error, ServerError) and not idempotent:
            error = ambiguous_error(error)
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=server_time)
        return _Answer(error=error, retry_after=retry_after)


__all__ = ["ClientStats", "EngageLabClient"]
