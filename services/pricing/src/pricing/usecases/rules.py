"""Price rules: new versions from ops (and the seed), and the listing."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import uuid4

from contracts.api.pricing import PriceRuleCreate, PriceRulePage, PriceRuleRead

from pricing import domain
from pricing.uow import AbstractUnitOfWork
from pricing.usecases.ports import PriceCache
from pricing.usecases.views import rule_read


async def change_price_rule(
    uow: AbstractUnitOfWork, cache: PriceCache, *, request: PriceRuleCreate
) -> PriceRuleRead:
    """Add a version of a rule; cached prices of the city are dropped once it is in force."""
    now = uow.clock.now()
    rule = domain.PriceRule(
        id=uuid4(),
        city=" ".join(request.city.split()),
        vehicle_type=request.vehicle_type,
        currency=request.unlock_fee.currency,
        unlock_fee=request.unlock_fee.amount_minor,
        per_minute=request.per_minute.amount_minor,
        per_km=None if request.per_km is None else request.per_km.amount_minor,
        valid_from=request.valid_from or now,
    )
    domain.check_new_version(rule, now=now)
    async with uow:
        if not await uow.rules.add(rule, if_absent=True):
            raise domain.PriceRuleConflictError("A version starting at that time already exists.")
        await uow.commit()
    if rule.valid_from <= now:
        await cache.invalidate([rule.city_key])
    return rule_read(rule)


async def list_price_rules(uow: AbstractUnitOfWork, *, city: str) -> PriceRulePage:
    """The versions in force in a city, and the ones scheduled to start later."""
    async with uow:
        rules = await uow.rules.in_force_and_scheduled(domain.city_key(city), uow.clock.now())
    return PriceRulePage(items=[rule_read(rule) for rule in rules])


async def seed_price_rules(uow: AbstractUnitOfWork, rules: Iterable[domain.PriceRule]) -> int:
    """Insert the rules that are not there yet (same city, type and valid_from); idempotent."""
    async with uow:
        added = [await uow.rules.add(rule, if_absent=True) for rule in rules]
        await uow.commit()
    return sum(added)
