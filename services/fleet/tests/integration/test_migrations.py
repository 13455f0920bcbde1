"""The migrations build exactly the schema the code declares, and go down and up again."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config
from fleet_testing import ALEMBIC_INI
from mobility_platform.testing.plugin import Databases


def _config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "migrations"))
    config.attributes["database_url"] = url
    return config


def _down_up_and_check(url: str) -> None:
    config = _config(url)
    command.check(config)  # no difference between the models and the migrated schema
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    command.check(config)


async def test_upgrade_head_matches_the_models_and_downgrade_works(databases: Databases) -> None:
    url = await databases.migrated("fleet_migrations", ALEMBIC_INI)  # empty db, no postgis yet
    await asyncio.to_thread(_down_up_and_check, url)
