"""The Python half of ErrorDNA's labeled corpus: causes of errors as services meet them, each raised by a
real code path several times with other ids, numbers, paths and hosts. ``events()`` yields one
``(label, exception)`` per event; grouping.py measures how ErrorDNA groups them.

Some causes share a stack (``dispatch`` runs several operations in one frame) and some share a
message (two validators raise the same words from different code), as the issue asks.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import decimal
import json
import socket
import sqlite3
import struct
from typing import Callable, Dict, Iterator, List, Tuple

import aiohttp

ROUNDS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- one frame, several causes: the stack is shared -----------------------------------------------
def dispatch(operation: str, value):
    if operation == "quantity":
        return int(value)
    if operation == "price":
        return float(value)
    if operation == "ratio":
        return 100 / value
    if operation == "lookup":
        return {"EURUSD": 1}[value]
    if operation == "amount":
        return decimal.Decimal(value) + decimal.Decimal("1")
    raise AssertionError(operation)


# --- one message, several causes: the words are shared -------------------------------------------
class ValidationError(ValueError):
    pass


def validate_order(quantity: int) -> None:
    if quantity <= 0:
        raise ValidationError(f"quantity must be positive, got {quantity}")


def validate_transfer(quantity: int) -> None:
    if quantity <= 0:
        raise ValidationError(f"quantity must be positive, got {quantity}")


# --- the rest, each its own code path --------------------------------------------------------------
def read_report(user: int) -> str:
    with open(f"/var/data/user{user}/report-{user}.csv") as report:
        return report.read()


def connect_raw(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


async def fetch_quotes(port: int) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/quotes?symbol=EURUSD&n={port}") as answer:
            await answer.read()


def fetch(port: int) -> None:
    asyncio.run(fetch_quotes(port))


async def fetch_by_name(n: int) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://quotes-{n}.prod.invalid:{8000 + n}/quotes") as answer:
            await answer.read()


def fetch_named(n: int) -> None:
    asyncio.run(fetch_by_name(n))


async def slow_call(seconds: float) -> None:
    await asyncio.wait_for(asyncio.sleep(10), timeout=seconds)


def call_with_deadline(n: int) -> None:
    asyncio.run(slow_call(0.001 * (n + 1)))


def parse_settings(n: int):
    return json.loads('{"symbols": ["EURUSD", ' + "x" * (n + 1) + "]}")


def parse_timestamp(n: int):
    return datetime.datetime.strptime(f"2024-13-{n + 1:02d}", "%Y-%m-%d")


def decode_signature(n: int):
    return base64.b64decode("a" * (4 * n + 5), validate=True)


def decode_payload(n: int):
    return bytes([0xFF, 0xFE, n]).decode("utf-8")


def unpack_tick(n: int):
    return struct.unpack(">dd", b"\x00" * (n + 1))


class Position:
    def __init__(self, quote) -> None:
        self.quote = quote

    def value(self) -> float:
        return self.quote.price * 2


def value_position(n: int):
    return Position(None).value()


def nth_fill(n: int):
    fills = list(range(n))
    return fills[n + 3]


def save_user(database: sqlite3.Connection, n: int) -> None:
    database.execute("INSERT INTO users (id, email) VALUES (?, ?)", (n, "same@example.com"))


def query_orders(database: sqlite3.Connection, n: int):
    return database.execute(f"SELECT * FROM orders WHERE id = {n}").fetchall()


def resolve(n: int):
    return socket.getaddrinfo(f"no-such-host-{n}.invalid", 80)


def walk(depth: int) -> int:
    return walk(depth + 1)


def recurse(n: int):
    return walk(n)


def authenticate(token: str) -> None:
    if not token.startswith("hub_"):
        raise PermissionError(f"invalid token for user {token[-4:]}: signature expired at 2024-01-{int(token[-2:]) % 28 + 1:02d}T10:00:00Z")


def check_rate(user: int) -> None:
    raise RuntimeError(f"rate limit exceeded for user {user}: {user * 7} requests in 60 s")


def reserve_memory(n: int):
    raise MemoryError(f"cannot allocate {n * 1024} bytes for order book")


def events() -> Iterator[Tuple[str, BaseException]]:
    database = sqlite3.connect(":memory:")
    database.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE)")
    database.execute("INSERT INTO users VALUES (0, 'same@example.com')")
    closed = [free_port() for _ in range(ROUNDS)]
    causes: List[Tuple[str, Callable[[int], object]]] = [
        ("py.dispatch.quantity", lambda n: dispatch("quantity", f"{n}x")),
        ("py.dispatch.price", lambda n: dispatch("price", f"{n}.{n}.{n}")),
        ("py.dispatch.ratio", lambda n: dispatch("ratio", 0 * n)),
        ("py.dispatch.lookup", lambda n: dispatch("lookup", f"XAU{n}")),
        ("py.dispatch.amount", lambda n: dispatch("amount", f"{n},{n}")),
        ("py.validate_order", lambda n: validate_order(-n)),
        ("py.validate_transfer", lambda n: validate_transfer(-n)),
        ("py.read_report", read_report),
        ("py.connect_raw", lambda n: connect_raw(closed[n])),
        ("py.fetch_quotes", lambda n: fetch(closed[n])),
        ("py.fetch_named", fetch_named),
        ("py.call_with_deadline", call_with_deadline),
        ("py.parse_settings", parse_settings),
        ("py.parse_timestamp", parse_timestamp),
        ("py.decode_signature", decode_signature),
        ("py.decode_payload", decode_payload),
        ("py.unpack_tick", unpack_tick),
        ("py.value_position", value_position),
        ("py.nth_fill", nth_fill),
        ("py.save_user", lambda n: save_user(database, n + 1)),
        ("py.query_orders", lambda n: query_orders(database, n)),
        ("py.resolve", resolve),
        ("py.recurse", recurse),
        ("py.authenticate", lambda n: authenticate(f"tok_{n:04d}{n + 10}")),
        ("py.check_rate", lambda n: check_rate(1000 + n)),
        ("py.reserve_memory", lambda n: reserve_memory(n + 1)),
    ]
    for label, cause in causes:
        for n in range(ROUNDS):
            try:
                cause(n)
            except Exception as error:  # noqa: BLE001 - the corpus is made of them
                yield label, error
            else:
                raise AssertionError(f"{label} did not raise for {n}")
    database.close()


def labels() -> Dict[str, int]:
    counted: Dict[str, int] = {}
    for label, _ in events():
        counted[label] = counted.get(label, 0) + 1
    return counted
