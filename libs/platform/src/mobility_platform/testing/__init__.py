"""Test support: real-infrastructure fixtures (the pytest plugin) and small async helpers."""

from mobility_platform.testing.helpers import FakeClock, app_client, read_topic, wait_until

__all__ = ["FakeClock", "app_client", "read_topic", "wait_until"]
