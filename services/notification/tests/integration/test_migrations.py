"""Alembic: head matches the models (`alembic check`) and every revision downgrades."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config
from mobility_platform.testing.plugin import Databases
from notification_harness import ALEMBIC_INI


async def test_migrations_match_the_models_and_downgrade_cleanly(databases: Databases) -> None:
    url = await databases.migrated("notification_mig", ALEMBIC_INI)
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "migrations"))
    config.attributes["database_url"] = url
    await asyncio.to_thread(command.check, config)  # raises if models and head differ
    await asyncio.to_thread(command.downgrade, config, "base")
    await asyncio.to_thread(command.upgrade, config, "head")
