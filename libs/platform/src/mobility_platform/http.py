"""The one way a service calls a peer over HTTP.

Every call gets: connect/read timeouts, the caller's service token, the W3C traceparent of the
current span, a per-peer circuit breaker, and (only for idempotent calls: GET/PUT/DELETE or a
request carrying an Idempotency-Key) bounded tenacity retries with exponential backoff and
jitter. Transport failures, timeouts and 502/503/504 become DependencyUnavailableError (503) or
PeerTimeoutError (504); 2xx and 4xx responses are returned for the typed client to interpret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from contracts.base import Problem
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from mobility_platform.auth import ServiceTokenProvider
from mobility_platform.breaker import CircuitBreaker, CircuitOpenError
from mobility_platform.errors import DependencyUnavailableError, PeerTimeoutError
from mobility_platform.observability import current_traceparent
from mobility_platform.settings import HttpClientSettings

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_RETRYABLE_STATUS = frozenset({502, 503, 504})


class _Retryable(Exception):
    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _retry_after(response: httpx.Response) -> int:
    try:
        return max(1, int(response.headers.get("retry-after", "1")))
    except ValueError:
        return 1


class ServiceClient:
    def __init__(
        self,
        *,
        peer: str,
        base_url: str,
        settings: HttpClientSettings,
        tokens: ServiceTokenProvider | None = None,
        breaker: CircuitBreaker | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.peer = peer
        self._settings = settings
        self._tokens = tokens
        self.breaker = breaker or CircuitBreaker(
            peer, threshold=settings.breaker_threshold, reset_after_s=settings.breaker_reset_s
        )
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        timeout_s: float | None = None,
        expected_status: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        """Send one logical call. `expected_status` lists 5xx answers that are business
        outcomes of the peer (e.g. iot-gateway's 504 when a *vehicle* does not ack): they are
        returned, not raised, and do not count against the peer's circuit."""
        merged = dict(headers or {})
        if idempotent is None:
            idempotent = method.upper() in _IDEMPOTENT_METHODS or "Idempotency-Key" in merged
        attempts = self._settings.retries + 1 if idempotent else 1
        retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential_jitter(
                multiplier=self._settings.backoff_initial_s, max=self._settings.backoff_max_s
            ),
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(
                        method, path, json, params, merged, timeout_s, expected_status
                    )
        except _Retryable as exc:
            raise exc.error from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self,
        method: str,
        path: str,
        json: Any,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        timeout_s: float | None,
        expected_status: frozenset[int],
    ) -> httpx.Response:
        self.breaker.before_call()  # CircuitOpenError is final: not retried
        outgoing = dict(headers)
        if self._tokens is not None:
            outgoing["Authorization"] = f"Bearer {self._tokens.token()}"
        if traceparent := current_traceparent():
            outgoing["traceparent"] = traceparent
        timeout = httpx.USE_CLIENT_DEFAULT if timeout_s is None else httpx.Timeout(timeout_s)
        try:
            response = await self._http.request(
                method, path, json=json, params=params, headers=outgoing, timeout=timeout
            )
        except httpx.TimeoutException as exc:
            self.breaker.record_failure()
            raise _Retryable(PeerTimeoutError(self.peer)) from exc
        except httpx.TransportError as exc:
            self.breaker.record_failure()
            raise _Retryable(
                DependencyUnavailableError(self.peer, reason=type(exc).__name__)
            ) from exc
        if response.status_code >= 500 and response.status_code not in expected_status:
            self.breaker.record_failure()
            error = DependencyUnavailableError(
                self.peer,
                retry_after_s=_retry_after(response),
                reason=f"HTTP {response.status_code}",
            )
            if response.status_code in _RETRYABLE_STATUS:
                raise _Retryable(error)
            raise error
        self.breaker.record_success()
        return response


def problem_of(response: httpx.Response) -> Problem:
    """The problem body of a 4xx response (a generic one if the peer sent something else)."""
    try:
        return Problem.model_validate_json(response.content)
    except ValidationError:
        return Problem(title="Unexpected response", status=response.status_code, code="unexpected")


__all__ = ["CircuitOpenError", "ServiceClient", "problem_of"]
