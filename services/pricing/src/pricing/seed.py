"""`pricing-seed`: the demo price rules (EUR) for the demo cities. Idempotent.

Each rule is inserted with a fixed `valid_from`, so running the seed again adds nothing, and a
rule ops changed later (a newer version) stays in force.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import UTC, datetime

from contracts.clock import SystemClock
from contracts.types import VehicleType
from mobility_platform.db import make_engine, make_sessionmaker

from pricing import db, domain, usecases
from pricing.settings import Settings
from pricing.uow import PricingUnitOfWork

SEED_VALID_FROM = datetime(2024, 1, 1, tzinfo=UTC)
SEED_NAMESPACE = uuid.UUID("5d1f0c8e-7a52-4f0e-9a56-2f4c1f9e3b10")

# city: (scooter per-minute, e-bike per-minute, car per-minute, car per-km) in euro cents.
# Unlock: scooter and e-bike 1.00 EUR, car 0.99 EUR. Roughly what free-floating operators in
# these cities charged in 2024-2025.
DEMO_TARIFFS: dict[str, tuple[int, int, int, int]] = {
    "Frankfurt": (25, 23, 33, 19),
    "Berlin": (29, 25, 35, 19),
    "Munich": (31, 27, 39, 21),
    "Hamburg": (27, 24, 34, 19),
    "Cologne": (25, 22, 32, 19),
}
UNLOCK_FEE = {VehicleType.SCOOTER: 100, VehicleType.EBIKE: 100, VehicleType.CAR: 99}


def demo_rules() -> list[domain.PriceRule]:
    rules = []
    for city, (scooter, ebike, car, car_km) in DEMO_TARIFFS.items():
        per_minute = {VehicleType.SCOOTER: scooter, VehicleType.EBIKE: ebike, VehicleType.CAR: car}
        for vehicle_type, rate in per_minute.items():
            rules.append(
                domain.PriceRule(
                    id=uuid.uuid5(SEED_NAMESPACE, f"{city}:{vehicle_type.value}"),
                    city=city,
                    vehicle_type=vehicle_type,
                    currency="EUR",
                    unlock_fee=UNLOCK_FEE[vehicle_type],
                    per_minute=rate,
                    per_km=car_km if vehicle_type is VehicleType.CAR else None,
                    valid_from=SEED_VALID_FROM,
                )
            )
    return rules


async def seed(settings: Settings) -> int:
    engine = make_engine(settings)
    try:
        uow = PricingUnitOfWork(
            make_sessionmaker(engine),
            outbox_table=db.outbox,
            source=settings.service_name,
            clock=SystemClock(),
        )
        return await usecases.seed_price_rules(uow, demo_rules())
    finally:
        await engine.dispose()


def main() -> None:
    added = asyncio.run(seed(Settings()))
    sys.stdout.write(f"pricing-seed: {added} new price rules ({len(demo_rules())} demo rules)\n")


if __name__ == "__main__":
    main()
