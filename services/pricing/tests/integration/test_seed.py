"""`pricing-seed`: demo rules for the demo cities, idempotent."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from mobility_platform.settings import KafkaSettings
from mobility_platform.testing.plugin import AuthKeys, Databases
from pricing.seed import seed
from pricing_api import ALEMBIC_INI, make_settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

SEED = Path(sys.executable).parent / "pricing-seed"  # the [project.scripts] entry point


async def run_seed(env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        str(SEED),
        env=env,
        cwd=ALEMBIC_INI.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_the_seed_prices_every_demo_city_and_type_once(
    databases: Databases, auth_keys: AuthKeys
) -> None:
    url = await databases.migrated("pricing_seed", ALEMBIC_INI)
    env = {
        **os.environ,
        "PRICING_DATABASE_URL": url,
        "PRICING_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "PRICING_AUTH__RIDER_PUBLIC_KEY": auth_keys.rider_public,
        "PRICING_AUTH__SERVICE_PUBLIC_KEY": auth_keys.service_public,
    }

    first = await run_seed(env)  # the console script stack.toml runs
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:1")  # the seed needs only the database
    again = await seed(make_settings(database_url=url, redis_url=None, kafka=kafka, keys=auth_keys))

    assert first.startswith("pricing-seed: 15 new price rules")
    assert again == 0
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT city, vehicle_type, currency, per_km_minor FROM price_rule")
                )
            ).all()
    finally:
        await engine.dispose()
    assert {r.city for r in rows} == {"Frankfurt", "Berlin", "Munich", "Hamburg", "Cologne"}
    assert len({(r.city, r.vehicle_type) for r in rows}) == len(rows) == 15
    assert {r.currency for r in rows} == {"EUR"}
    assert all((r.per_km_minor is not None) == (r.vehicle_type == "car") for r in rows)
