"""Test support: real-infrastructure fixtures (the pytest plugin) and small async helpers."""

from mobility_platform.testing.helpers import app_client, read_topic, wait_until

__all__ = ["app_client", "read_topic", "wait_until"]
