from __future__ import annotations

import httpx
import pytest
from mobility_platform.breaker import CircuitBreaker, CircuitOpenError
from mobility_platform.errors import DependencyUnavailableError, PeerTimeoutError
from mobility_platform.http import ServiceClient, problem_of
from mobility_platform.settings import HttpClientSettings
from opentelemetry import trace

SETTINGS = HttpClientSettings(retries=2, backoff_initial_s=0.001, backoff_max_s=0.002)


class Recorder:
    """A transport-level double: answers from a script and records what was sent."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, json={"ok": answer < 400})


def client(recorder: Recorder, breaker: CircuitBreaker | None = None) -> ServiceClient:
    return ServiceClient(
        peer="fleet",
        base_url="http://fleet",
        settings=SETTINGS,
        breaker=breaker,
        transport=httpx.MockTransport(recorder),
    )


async def test_idempotent_call_is_retried_until_it_succeeds() -> None:
    recorder = Recorder(503, 503, 200)
    response = await client(recorder).request("GET", "/vehicles/1")
    assert response.status_code == 200
    assert len(recorder.requests) == 3


async def test_post_without_idempotency_key_is_sent_once() -> None:
    recorder = Recorder(503)
    with pytest.raises(DependencyUnavailableError):
        await client(recorder).request("POST", "/reservations", json={})
    assert len(recorder.requests) == 1


async def test_post_with_idempotency_key_is_retried() -> None:
    recorder = Recorder(httpx.ConnectError("refused"), 201)
    response = await client(recorder).request(
        "POST", "/reservations", json={}, headers={"Idempotency-Key": "k1"}
    )
    assert response.status_code == 201
    assert [r.headers["Idempotency-Key"] for r in recorder.requests] == ["k1", "k1"]


async def test_timeouts_become_peer_timeout_after_retries() -> None:
    recorder = Recorder(httpx.ReadTimeout("slow"))
    with pytest.raises(PeerTimeoutError):
        await client(recorder, CircuitBreaker("fleet", threshold=10)).request("GET", "/x")
    assert len(recorder.requests) == 3


async def test_client_errors_are_returned_not_retried() -> None:
    recorder = Recorder(409)
    response = await client(recorder).request("GET", "/x")
    assert response.status_code == 409
    assert len(recorder.requests) == 1


async def test_breaker_opens_after_three_failures_and_stops_calling_the_peer() -> None:
    recorder = Recorder(500)
    peer = client(recorder, CircuitBreaker("fleet", threshold=3, reset_after_s=60))
    for _ in range(3):
        with pytest.raises(DependencyUnavailableError):
            await peer.request("POST", "/x")
    with pytest.raises(CircuitOpenError):
        await peer.request("POST", "/x")
    assert len(recorder.requests) == 3


async def test_expected_status_is_returned_and_does_not_trip_the_breaker() -> None:
    recorder = Recorder(504)
    peer = client(recorder, CircuitBreaker("iot", threshold=1))
    response = await peer.request("POST", "/commands", expected_status=frozenset({504}))
    assert response.status_code == 504
    assert peer.breaker.state == "closed"


async def test_traceparent_of_the_current_span_is_propagated() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    recorder = Recorder(200)
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("caller") as span:
        await client(recorder).request("GET", "/x")
        trace_id = format(span.get_span_context().trace_id, "032x")
    assert recorder.requests[0].headers["traceparent"].split("-")[1] == trace_id
    assert trace.get_current_span() is not span


def test_problem_of_a_non_problem_body_is_generic() -> None:
    problem = problem_of(httpx.Response(418, text="teapot"))
    assert (problem.status, problem.code) == (418, "unexpected")
