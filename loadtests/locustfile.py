"""Locust scenarios for the platform (loopback only; run by loadtests/bench_booking.py or by hand).

    MC_FLEET_URL=http://127.0.0.1:8002 MC_BOOKING_URL=http://127.0.0.1:8001 \
      uv run locust -f loadtests/locustfile.py --headless -u 20 -r 20 -t 60s RiderMix

RiderMix      riders as they behave: mostly searching where people are (city hotspots), now and
              then booking what they found, paying, and cancelling (so the fleet stays rentable)
BookingFlow   back-to-back bookings (search, reserve, pay, confirm, cancel) for bookings/s

Each booking uses a new rider token (many riders, as in production; the per-rider rate limit
then never applies). The request named "whole booking" is reserve + pay + confirm end to end.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from pathlib import Path

from locust import FastHttpUser, between, events, task
from mobility_platform.auth import mint_rider_token

FLEET = os.environ.get("MC_FLEET_URL", "http://127.0.0.1:8002")
BOOKING = os.environ.get("MC_BOOKING_URL", "http://127.0.0.1:8001")
RIDER_KEY = Path(os.environ.get("MC_RIDER_KEY", ".cache/secrets/rider_jwt_private.pem")).read_text()

# Where riders open the app: each city's busy spots (centre, main station, nightlife, ...).
HOTSPOTS = [
    (50.1109, 8.6821), (50.1071, 8.6638), (50.1155, 8.6842), (50.1025, 8.6852), (50.1276, 8.6676),
    (52.5200, 13.4050), (52.5219, 13.4132), (52.5251, 13.3694), (52.4990, 13.4030),
    (48.1372, 11.5756), (48.1402, 11.5600), (48.1600, 11.5860),
    (53.5511, 9.9937), (53.5530, 10.0069), (50.9375, 6.9603), (50.9413, 6.9583),
]  # fmt: skip
JITTER_DEG = 0.003  # about 300 m: riders stand near, not on, the hotspot


def _rider_headers() -> dict[str, str]:
    token = mint_rider_token(RIDER_KEY, rider_id=uuid.uuid4(), email="load@example.com")
    return {"Authorization": f"Bearer {token}"}


def _near_hotspot() -> tuple[float, float]:
    lat, lon = random.choice(HOTSPOTS)
    return lat + random.uniform(-JITTER_DEG, JITTER_DEG), lon + random.uniform(
        -JITTER_DEG, JITTER_DEG
    )


class _Rider(FastHttpUser):
    abstract = True
    host = FLEET

    def on_start(self) -> None:
        self.headers = _rider_headers()

    def search(self) -> list[dict[str, object]]:
        lat, lon = _near_hotspot()
        with self.client.get(
            f"{FLEET}/vehicles/search?lat={lat:.6f}&lon={lon:.6f}&radius_m=500&limit=20",
            headers=self.headers, name="search", catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 200:
                response.failure(f"search {response.status_code}")
                return []
            return response.json()["items"]  # type: ignore[no-any-return]

    def book_pay_cancel(self, candidates: list[dict[str, object]]) -> None:
        if not candidates:
            return
        headers = _rider_headers()
        vehicle = random.choice(candidates[:5])
        start = time.perf_counter()
        created = self._post("reserve", f"{BOOKING}/bookings", headers,
                             {"vehicle_id": vehicle["id"], "estimated_duration_min": 15},
                             ok=(201, 409))  # fmt: skip
        if created is None or created.status_code != 201:
            return
        booking_id = created.json()["id"]
        paid = self._post("pay + confirm", f"{BOOKING}/bookings/{booking_id}/confirm-payment",
                          headers, {"payment_method_id": "pm_card_visa"})  # fmt: skip
        if paid is not None:
            events.request.fire(
                request_type="FLOW", name="whole booking", response_length=0, exception=None,
                response_time=(time.perf_counter() - start) * 1000, context={},
            )  # fmt: skip
        self._post("cancel", f"{BOOKING}/bookings/{booking_id}/cancel", headers, None)

    def _post(self, name: str, url: str, headers: dict[str, str], body: object,
              ok: tuple[int, ...] = (200, 201)) -> object | None:  # fmt: skip
        headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
        with self.client.post(url, json=body, headers=headers, name=name, catch_response=True) as r:
            if r.status_code not in ok:
                r.failure(f"{name} {r.status_code}: {r.text[:200]}")
                return None
            r.success()
            return r


class RiderMix(_Rider):
    wait_time = between(0.5, 2.0)

    @task(19)
    def look_around(self) -> None:
        self.search()

    @task(1)
    def take_a_ride(self) -> None:
        self.book_pay_cancel(self.search())


class BookingFlow(_Rider):
    wait_time = between(0, 0)

    @task
    def book(self) -> None:
        self.book_pay_cancel(self.search())
