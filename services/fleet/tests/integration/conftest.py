"""Fleet integration fixtures: one migrated database for the session (tests keep to their own
regions and ids), settings bound to the real infrastructure."""

from __future__ import annotations

from typing import Any

import pytest
from fleet.settings import Settings
from fleet_testing import ALEMBIC_INI, FleetDb, MakeSettings, fleet_settings
from mobility_platform.settings import KafkaSettings
from mobility_platform.testing.plugin import AuthKeys, Databases, Infra


@pytest.fixture(scope="session")
async def fleet_db(databases: Databases) -> FleetDb:
    return FleetDb(await databases.migrated("fleet", ALEMBIC_INI))


@pytest.fixture(scope="session")
def quiet_kafka(infra: Infra, run_id: str) -> KafkaSettings:
    """Kafka settings for apps whose relay and consumer are off (nothing connects)."""
    return KafkaSettings(bootstrap_servers=infra.kafka_bootstrap, topic_prefix=f"t{run_id}.q.")


def _maker(
    fleet_db: FleetDb, redis_url: str, quiet_kafka: KafkaSettings, auth_keys: AuthKeys
) -> MakeSettings:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": fleet_db.url,
            "redis_url": redis_url,
            "kafka": quiet_kafka,
            "auth_keys": auth_keys,
        }
        values.update(overrides)
        return fleet_settings(**values)

    return make


@pytest.fixture
def make_settings(
    fleet_db: FleetDb, redis_url: str, quiet_kafka: KafkaSettings, auth_keys: AuthKeys
) -> MakeSettings:
    return _maker(fleet_db, redis_url, quiet_kafka, auth_keys)


@pytest.fixture(scope="module")
def make_settings_module(
    fleet_db: FleetDb, redis_url: str, quiet_kafka: KafkaSettings, auth_keys: AuthKeys
) -> MakeSettings:
    return _maker(fleet_db, redis_url, quiet_kafka, auth_keys)
