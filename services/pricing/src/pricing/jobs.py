"""Background loops started by app.py (supervised by the platform runtime)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


async def every(interval_s: float, step: Callable[[], Awaitable[object]], *, name: str) -> None:
    """Run `step` forever, `interval_s` apart; a failed step is logged and retried next time."""
    while True:
        try:
            await step()
        except Exception:
            logger.exception("%s failed; retrying in %.1fs", name, interval_s)
        await asyncio.sleep(interval_s)
