"""Unit-test fixtures: fakes at the ports, no sockets."""

from __future__ import annotations

import pytest
from payment_fakes import FakeClock, FakeProvider, FakeUnitOfWork


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def uow(clock: FakeClock) -> FakeUnitOfWork:
    return FakeUnitOfWork(clock)


@pytest.fixture
def psp() -> FakeProvider:
    return FakeProvider()
