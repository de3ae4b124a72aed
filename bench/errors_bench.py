#!/usr/bin/python3
"""Error events through the hub: what a fingerprint costs in Python, how many events a hubd takes a
second (POST /errors, batches of 100 over 4 connections), its memory with 10,000 groups, and how long
it takes to write them at a stop and read them back at a start.

    bench/errors_bench.py [seconds]     (hubd: HUB_HUBD and HUB_PLUGIN_DIR, by default build/'s)

The C++ cost per fingerprint is bench/error_dna_bench's. Prints figures; not a test.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "tests" / "python"))
sys.path.insert(0, str(ROOT / "tests" / "errordna"))

import conftest  # noqa: E402 - the tests' hub launcher
import python_corpus  # noqa: E402
from central_hub.error_dna import ErrorDNA, Frame  # noqa: E402

STACK = [
    Frame("asyncio.base_events", "create_connection", in_app=False),
    Frame("orders.db", "connect", in_app=True),
    Frame("orders.api", "place_order", in_app=True),
    Frame("orders.handlers", "OrderHandler.post", in_app=True),
]


def fingerprint_costs() -> None:
    dna = ErrorDNA()
    rounds = 20_000
    started = time.perf_counter()
    for n in range(rounds):
        message = f"[Errno 111] Connect call failed ('10.0.0.{n % 250}', 5432) for user {n}@example.com at 2026-12-01T08:00:00Z"
        dna.analyze("ConnectionRefusedError", message, STACK)
    per_event = (time.perf_counter() - started) / rounds * 1e6
    errors = [error for _, error in python_corpus.events()]
    started = time.perf_counter()
    for _ in range(20):
        for error in errors:
            dna.analyze_error(error)
    per_exception = (time.perf_counter() - started) / (20 * len(errors)) * 1e6
    print(f"Python fingerprint of an event given as data: {per_event:.1f} us")
    print(f"Python analyze_error of a caught exception (the corpus's {len(errors)}, stacks walked): {per_exception:.1f} us")


def event(n: int, causes: int) -> dict:
    cause = n % causes
    return {
        "service": f"service-{cause % 20}",
        "version": "2.1.0",
        "host": f"web-{n % 7}",
        "type": "KeyError",
        "message": f"'order-{n}' not found for user {n}@example.com",
        "frames": [{"module": "orders.api", "function": f"handler_{cause}", "line": 10 + n % 50, "in_app": True}],
    }


async def ingest(url: str, seconds: float) -> None:
    sent = 0
    deadline = time.monotonic() + seconds

    async def connection(offset: int) -> None:
        nonlocal sent
        async with aiohttp.ClientSession() as session:
            n = offset
            while time.monotonic() < deadline:
                batch = {"events": [event(n + i, 100) for i in range(100)]}
                async with session.post(f"{url}/errors", data=json.dumps(batch)) as answer:
                    assert answer.status == 200, await answer.text()
                n += 100 * 4
                sent += 100

    started = time.monotonic()
    await asyncio.gather(*(connection(i * 100) for i in range(4)))
    rate = sent / (time.monotonic() - started)
    print(f"hub ingestion: {rate:,.0f} events/s (batches of 100, 4 connections, 100 causes, {seconds:.0f} s)")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def fill(url: str, groups: int) -> None:
    async with aiohttp.ClientSession() as session:
        for start in range(0, groups, 1000):
            batch = {"events": [event(n, groups) for n in range(start, start + 1000)]}
            async with session.post(f"{url}/errors", data=json.dumps(batch)) as answer:
                assert answer.status == 200, await answer.text()


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"hubd: {conftest.HUBD}")
    fingerprint_costs()
    with tempfile.TemporaryDirectory() as folder:
        hub = conftest.Hub(Path(folder) / "ingest", extra="errors: {max_batch: 1000}\n").start()
        try:
            asyncio.run(ingest(hub.url, seconds))
        finally:
            hub.stop()
        hub = conftest.Hub(Path(folder) / "memory", extra="errors: {max_batch: 1000, max_groups: 10000}\n").start()
        try:
            before = rss_kib(hub.process.pid)
            asyncio.run(fill(hub.url, 10_000))
            after = rss_kib(hub.process.pid)
            groups = hub.call("GET", "/errors?limit=1")["total"]
            print(f"hubd resident memory: {before / 1024:.1f} MiB at start, {after / 1024:.1f} MiB with {groups:,} groups "
                  f"({(after - before) * 1024 / max(groups, 1):,.0f} bytes a group, 5 samples each)")
            # A stop writes what changed since the last save; a start reads every group back.
            started = time.monotonic()
            hub.stop()
            stopped = time.monotonic() - started
            started = time.monotonic()
            hub.start()
            restarted = time.monotonic() - started
            kept = hub.call("GET", "/errors?limit=1")["total"]
            print(f"hubd on SQLite with {kept:,} groups: stops (writing them) in {stopped:.2f} s, starts (reading them back) in "
                  f"{restarted:.2f} s, {rss_kib(hub.process.pid) / 1024:.1f} MiB resident after")
        finally:
            hub.stop()


if __name__ == "__main__":
    main()
