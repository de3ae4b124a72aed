#!/usr/bin/python3
"""Internet scale in one hub process: 100,000 instances heartbeating every 30 s and 20,000 config
watchers parked on one hubd over PostgreSQL, measured for a window: the hub's memory and CPU, and
what the database does (commits, rows written, WAL bytes, and its own CPU), per second and per
registered instance.

    bench/scale_sim.py [instances] [watchers] [seconds]   (defaults 100000 20000 60)

hubd: HUB_HUBD and HUB_PLUGIN_DIR, by default build/'s (a release build). PostgreSQL:
HUB_TEST_PG_HOST, _PORT, _USER, as tools/dev sets them; a scratch database is made and dropped.
The load comes from this process over keep-alive connections (asyncio, no HTTP library): on this
2-core machine it competes with the hub and PostgreSQL, so the rates it reaches are printed beside
the rates it aimed for. Prints figures; not a test.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import cluster_bench  # noqa: E402
from cluster_bench import DATABASE, PG, psql  # noqa: E402

SERVICES = 1000
HEARTBEAT_SECONDS = 30.0
CONNECTIONS = 16


class ScaleHub(cluster_bench.PostgresHub):
    sections = "http: {max_queued: 65536, max_connections: 19600}\n"  # no health checks: the load is heartbeats and watches


class Connection:
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader
        self.writer: asyncio.StreamWriter

    async def open(self) -> "Connection":
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    async def send(self, method: str, path: str, body: bytes = b"") -> None:
        head = f"{method} {path} HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        self.writer.write(head.encode() + body)
        await self.writer.drain()

    async def answer(self) -> tuple:
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return status, await self.reader.readexactly(length)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple:
        await self.send(method, path, body)
        return await self.answer()


def instance(i: int) -> tuple:
    service = f"svc-{i % SERVICES}"
    host = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
    return service, host, f"{host}:8000"


async def register_all(port: int, count: int) -> float:
    started = time.perf_counter()

    async def worker(first: int) -> None:
        connection = await Connection(port).open()
        for i in range(first, count, CONNECTIONS):
            service, host, _ = instance(i)
            body = json.dumps({"service_name": service, "host": host, "port": 8000, "version": "1.0.0"}).encode()
            status, answer = await connection.request("POST", "/register", body)
            assert status == 201, answer[:200]

    await asyncio.gather(*(worker(first) for first in range(CONNECTIONS)))
    return time.perf_counter() - started


async def heartbeats(port: int, count: int, stop: asyncio.Event, sent: list) -> None:
    """Every instance once per HEARTBEAT_SECONDS, spread evenly, over CONNECTIONS connections."""

    async def worker(first: int) -> None:
        connection = await Connection(port).open()
        mine = list(range(first, count, CONNECTIONS))
        gap = HEARTBEAT_SECONDS / len(mine)
        next_at = time.perf_counter()
        while not stop.is_set():
            for i in mine:
                if stop.is_set():
                    return
                service, _, instance_id = instance(i)
                body = json.dumps({"service_name": service, "instance_id": instance_id, "status": "healthy"}).encode()
                status, _ = await connection.request("POST", "/heartbeat", body)
                sent[0] += 1 if status == 200 else 0
                sent[1] += 0 if status == 200 else 1
                next_at += gap
                delay = next_at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)

    await asyncio.gather(*(worker(first) for first in range(CONNECTIONS)))


async def watched_configs(port: int) -> None:
    connection = await Connection(port).open()
    for n in range(2000):
        status, answer = await connection.request("PUT", f"/config/watched-{n}", json.dumps({"config_data": {"n": 0}}).encode())
        assert status == 201, answer[:200]


async def watchers(port: int, count: int, stop: asyncio.Event, woken: list, parked: list) -> None:
    """`count` blocking watches over 2,000 configs, each re-parked as soon as it answers."""
    opening = asyncio.Semaphore(200)  # a storm of 20,000 connects overflows the listen backlog

    async def watcher(n: int) -> None:
        service = f"watched-{n % 2000}"
        try:
            async with opening:
                connection = await Connection(port).open()
                _, body = await connection.request("GET", f"/config/{service}")
        except OSError as error:
            parked[1] += 1
            parked[2] = repr(error)
            return
        index = json.loads(body)["revision"]
        parked[0] += 1
        while not stop.is_set():
            status, body = await connection.request("GET", f"/config/{service}/watch?index={index}&wait=55")
            if status != 200:
                await asyncio.sleep(1)
                continue
            answer = json.loads(body)
            if answer.get("changed") and answer.get("revision", 0) > index:
                woken[0] += 1
            index = max(index, answer.get("revision", 0))

    await asyncio.gather(*(watcher(n) for n in range(count)), return_exceptions=True)


async def config_changes(port: int, stop: asyncio.Event, made: list) -> None:
    """Ten config changes a second, each waking the ten watchers of one config."""
    connection = await Connection(port).open()
    n = 0
    while not stop.is_set():
        for _ in range(10):
            n += 1
            body = json.dumps({"config_data": {"n": n}}).encode()
            status, _ = await connection.request("PUT", f"/config/watched-{n % 2000}", body)
            made[0] += 1 if status == 201 else 0
        await asyncio.sleep(1)


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def query(sql: str) -> list:
    out = subprocess.run(
        ["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", DATABASE, "-Atc", sql], check=True, capture_output=True, text=True
    ).stdout
    return [line.split("|") for line in out.strip().splitlines()]


def database_figures() -> dict:
    commits, inserted, updated, deleted = query(
        f"SELECT xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname = '{DATABASE}'"
    )[0]
    wal = query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")[0][0]
    pids = [int(row[0]) for row in query(f"SELECT pid FROM pg_stat_activity WHERE datname = '{DATABASE}'") if row[0]]
    cpu = 0.0
    for pid in pids:
        try:
            cpu += process_cpu_seconds(pid)
        except OSError:
            pass
    tables = {row[0]: int(row[1]) for row in query("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables")}
    return {"commits": int(commits), "rows": int(inserted) + int(updated) + int(deleted), "wal": int(wal), "cpu": cpu, "tables": tables}


async def main(count: int, watcher_count: int, seconds: float) -> None:
    _, most = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (most, most))
    if most < watcher_count + 1000:
        sys.exit(f"{watcher_count:,} watchers need that many open files; this shell allows {most:,} (ulimit -Hn)")
    psql(f"CREATE DATABASE {DATABASE}")
    folder = Path(f"/tmp/hub-scale-sim-{os.getpid()}")
    hub = ScaleHub(folder)
    try:
        hub.start()
        pid = hub.process.pid
        idle_rss = rss_mib(pid)
        took = await register_all(hub.port, count)
        print(f"registered {count:,} instances in {took:.1f} s ({count / took:,.0f}/s); hubd resident {rss_mib(pid):.1f} MiB (idle {idle_rss:.1f})")
        await watched_configs(hub.port)
        stop = asyncio.Event()
        sent, woken, parked, made = [0, 0], [0], [0, 0, ""], [0]
        load = [
            asyncio.create_task(heartbeats(hub.port, count, stop, sent)),
            asyncio.create_task(watchers(hub.port, watcher_count, stop, woken, parked)),
        ]
        while parked[0] + parked[1] < watcher_count:
            await asyncio.sleep(0.1)
        if parked[1]:
            sys.exit(f"{parked[1]} watchers failed: {parked[2]}")
        load.append(asyncio.create_task(config_changes(hub.port, stop, made)))
        await asyncio.sleep(5)  # warm up: every connection open, the flushes in their rhythm
        before = (time.perf_counter(), process_cpu_seconds(pid), database_figures(), sent[0], woken[0], made[0])
        await asyncio.sleep(seconds)
        after = (time.perf_counter(), process_cpu_seconds(pid), database_figures(), sent[0], woken[0], made[0])
        stop.set()
        elapsed = after[0] - before[0]
        beats = (after[3] - before[3]) / elapsed
        db = {key: (after[2][key] - before[2][key]) / elapsed for key in before[2] if key != "tables"}
        tables = {name: (rows - before[2]["tables"].get(name, 0)) / elapsed for name, rows in after[2]["tables"].items()}
        print(f"window {elapsed:.0f} s, {watcher_count:,} watches parked, {(after[5] - before[5]) / elapsed:.1f} config changes/s waking {(after[4] - before[4]) / elapsed:.0f} watches/s")
        print(f"heartbeats: {beats:,.0f}/s (aimed at {count / HEARTBEAT_SECONDS:,.0f}/s), {sent[1]} refused")
        print(f"hubd: resident {rss_mib(pid):.1f} MiB, CPU {100 * (after[1] - before[1]) / elapsed:.1f}% of one core")
        print(
            f"PostgreSQL: {db['commits']:,.1f} commits/s, {db['rows']:,.0f} rows written/s, {db['wal'] / 1024:,.0f} KiB WAL/s, "
            f"its backends {100 * db['cpu']:.1f}% of one core"
        )
        busiest = sorted(tables.items(), key=lambda item: -item[1])[:5]
        print("rows written/s by table: " + ", ".join(f"{name} {rate:,.0f}" for name, rate in busiest))
        print(
            f"per registered instance: {db['rows'] / count:.4f} rows/s, {db['wal'] / count:.1f} WAL bytes/s; "
            f"per heartbeat: {db['rows'] / max(beats, 1):.2f} rows, {db['wal'] / max(beats, 1):.0f} WAL bytes"
        )
        for task in load:
            task.cancel()
        await asyncio.gather(*load, return_exceptions=True)
    finally:
        hub.stop()
        psql(f"DROP DATABASE IF EXISTS {DATABASE}")


if __name__ == "__main__":
    arguments = [float(value) for value in sys.argv[1:4]]
    asyncio.run(main(int(arguments[0]) if arguments else 100_000, int(arguments[1]) if len(arguments) > 1 else 20_000,
                     arguments[2] if len(arguments) > 2 else 60.0))
