"""Whole-platform benchmark (by hand, not CI): the booking flow and the rider mix under Locust.

    uv run python loadtests/bench_booking.py                       # 50 000 vehicles
    uv run python loadtests/bench_booking.py --fleet-size 5000 --users 4,8 --seconds 20

Starts every service through the same launcher as `make run` (private `bench_*` databases,
`bench.` topics, ports +30000; infra must be up: `make infra-up`), without the vehicle
simulator (booking never unlocks here). Then, with Locust headless on loopback:

1. BookingFlow at each `--users` step: search -> reserve -> pay -> confirm (the "whole
   booking") -> cancel, back to back: P50/P95/P99 and bookings/s per step; the highest rate
   whose whole-booking P95 stays <= 200 ms is the figure to quote.
2. RiderMix for `--mix-seconds`: searches near city hotspots with occasional bookings; the
   fleet cache hit rate from fleet's own counters, and search P50/P95/P99.

Everything runs on this machine's cores, load generator included: read the numbers as what
one box sustains, not as per-service capacity. Results: loadtests/out/bench_booking.json.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from mobility_platform.devstack import Stack, StackOptions
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "loadtests" / "out"


def locust(
    stack: Stack, user_class: str, users: int, seconds: int, tag: str
) -> dict[str, dict[str, str]]:
    """Run Locust headless and return its per-request-name stats rows."""
    OUT.mkdir(parents=True, exist_ok=True)
    prefix = OUT / f"bench_booking_{tag}"
    env = {
        **os.environ,
        "MC_FLEET_URL": stack.url("fleet"),
        "MC_BOOKING_URL": stack.url("booking"),
        "MC_RIDER_KEY": str(stack.secrets_dir / "rider_jwt_private.pem"),
    }
    locustfile = REPO / "loadtests" / "locustfile.py"
    argv = [
        str(Path(sys.executable).parent / "locust"), "-f", str(locustfile), "--headless",
        "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--stop-timeout", "5",
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", user_class,
    ]  # fmt: skip
    subprocess.run(argv, env=env, cwd=REPO, check=False, timeout=seconds + 60)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def summary(row: dict[str, str] | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {
        "count": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "p50_ms": float(row["50%"]),
        "p95_ms": float(row["95%"]),
        "p99_ms": float(row["99%"]),
        "per_s": round(float(row["Requests/s"]), 1),
    }


async def cache_lookups(stack: Stack) -> dict[str, float]:
    async with httpx.AsyncClient() as client:
        text = (await client.get(stack.url("fleet") + "/metrics")).text
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name == "fleet_search_cache_lookups":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    counts[sample.labels["outcome"]] = sample.value
    return counts


async def run(args: argparse.Namespace) -> dict[str, Any]:
    stack = Stack(
        StackOptions(
            repo=REPO,
            database_prefix="bench_",
            topic_prefix="bench.",
            port_offset=30000,
            demo_fleet_size=args.fleet_size,
            log_dir=REPO / ".cache" / "bench",
            with_processes=False,
            overrides={"booking": {"LOG_LEVEL": "WARNING"}, "fleet": {"LOG_LEVEL": "WARNING"}},
        )
    )
    results: dict[str, Any] = {"fleet_size": args.fleet_size, "steps": [], "cpus": os.cpu_count()}
    started = time.perf_counter()
    try:
        await stack.up()
        results["startup_s"] = round(time.perf_counter() - started, 1)
        for users in args.users:
            stats = locust(stack, "BookingFlow", users, args.seconds, f"flow_{users}")
            step = {"users": users, "whole_booking": summary(stats.get("whole booking"))}
            step |= {
                name: summary(stats.get(name)) for name in ("search", "reserve", "pay + confirm")
            }
            results["steps"].append(step)
            print(json.dumps(step))  # noqa: T201 - a CLI report
        before = await cache_lookups(stack)
        mix = locust(stack, "RiderMix", args.mix_users, args.mix_seconds, "mix")
        after = await cache_lookups(stack)
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        looked_up = sum(delta.values()) or 1
        results["mix"] = {
            "users": args.mix_users,
            "search": summary(mix.get("search")),
            "whole_booking": summary(mix.get("whole booking")),
            "cache_lookups": delta,
            "cache_hit_rate": round(delta.get("hit", 0) / looked_up, 4),
        }
    finally:
        stack.stop_all()
        if not args.keep:
            await stack.drop_databases()
            await stack.drop_topics()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fleet-size", type=int, default=50_000)
    parser.add_argument(
        "--users", type=lambda s: [int(x) for x in s.split(",")], default=[2, 4, 8, 16]
    )
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--mix-users", type=int, default=60)
    parser.add_argument("--mix-seconds", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    results = asyncio.run(run(parser.parse_args()))
    (OUT / "bench_booking.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))  # noqa: T201 - a CLI report


if __name__ == "__main__":
    main()
