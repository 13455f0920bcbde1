# MobilityCorp platform: one entry point. `make run` brings everything up; `make test` proves it.
SHELL := /bin/bash
.DEFAULT_GOAL := help
INFRA := deploy/local/infra.sh
export PATH := $(HOME)/.local/bin:$(PATH)
UV := uv
PYTEST := $(UV) run --frozen pytest

.PHONY: help run test deps secrets infra-install infra-up infra-down infra-status infra-reset \
        check lint typecheck importlint schemas unit integration e2e \
        bench-search bench-booking bench-unlock

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

run: infra-install deps secrets infra-up ## the whole platform: infra, migrations, demo fleet, services, simulated vehicles
	$(UV) run --frozen mobility-platform up

test: infra-install deps infra-up check unit integration e2e ## install what is missing, then the whole suite

deps: ## python workspace (uv, locked)
	$(UV) sync --all-packages --frozen

secrets: deps ## dev keys and shared secrets in .cache/secrets (git-ignored; never overwritten)
	$(UV) run --frozen mobility-platform keygen --out .cache/secrets

infra-install: ## apt packages, uv, Kafka jars, stripe-mock (only what is missing)
	$(INFRA) install

infra-up: deps ## start PostgreSQL, Redis, Kafka, Mosquitto, stripe-mock, SMTP (idempotent)
	$(INFRA) up

infra-down: ## stop the infrastructure
	$(INFRA) down

infra-status: ## what is up
	$(INFRA) status

infra-reset: ## stop and wipe all local infra state
	$(INFRA) reset

check: lint typecheck importlint schemas ## static checks

lint:
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck:
	$(UV) run --frozen mypy libs/contracts/src libs/platform/src $(wildcard services/*/src)

importlint:
	$(UV) run --frozen lint-imports

schemas: ## committed JSON Schemas match the contracts
	$(UV) run --frozen contracts-schemas --check

unit: ## no I/O
	$(PYTEST) libs/contracts/tests libs/platform/tests/unit $(wildcard services/*/tests/unit) -q

integration: secrets ## real PostgreSQL, Redis, Kafka, Mosquitto, stripe-mock, SMTP
	$(PYTEST) libs/platform/tests/integration $(wildcard services/*/tests/integration) -q

e2e: secrets ## the running platform, public APIs only
	$(PYTEST) tests/e2e -q

bench-search: ## by hand: search hit/miss and reserve latency
	$(UV) run --frozen python loadtests/bench_fleet.py

bench-booking: ## by hand: whole booking flow latency and bookings/s
	$(UV) run --frozen python loadtests/bench_booking.py

bench-unlock: ## by hand: unlock round trip through MQTT and the simulator
	$(UV) run --frozen python loadtests/bench_unlock.py
