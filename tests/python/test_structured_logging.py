"""StructuredLogger: JSON lines with the service, level, message, correlation id and free fields; the
seed's sample as written; one correlation id per asyncio task; exceptions with their fingerprint."""

from __future__ import annotations

import asyncio
import io
import json
import logging

from central_hub.error_dna import ErrorDNA
from central_hub.structured_logging import JsonFormatter, StructuredLogger, correlation


def lines(stream: io.StringIO):
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_seeds_sample_as_written():
    from central_hub.static.logging import StructuredLogger  # the seed's import line

    stream = io.StringIO()
    logger = StructuredLogger(service="api-gateway")
    logger.logger.handlers[0].setStream(stream)
    logger.info("WebSocket connection established", extra={
        "user_id": "user123",
        "connection_id": "conn456",
        "latency_ms": 15
    })
    [line] = lines(stream)
    assert line["service"] == "api-gateway" and line["level"] == "info"
    assert line["message"] == "WebSocket connection established"
    assert (line["user_id"], line["connection_id"], line["latency_ms"]) == ("user123", "conn456", 15)
    assert line["correlation_id"] == "" and line["time"].endswith("Z")


class Envelope:  # what MessageEnvelope offers: a correlation_id attribute
    correlation_id = "corr-envelope"


def test_correlation_from_an_envelope_a_request_or_an_id_one_per_task():
    stream = io.StringIO()
    logger = StructuredLogger("orders", stream=stream, fields={"version": "2.1.0"})
    with correlation(Envelope()):
        logger.info("from a message")
    with correlation({"X-Request-ID": "req-42"}):
        logger.warning("from a request", attempt=2)

    async def handle(request_id: str) -> None:
        with correlation(request_id):
            await asyncio.sleep(0.01)  # the other task runs meanwhile
            logger.info("handled")

    async def both() -> None:
        await asyncio.gather(handle("a-1"), handle("b-2"))

    asyncio.run(both())
    logger.info("after")
    found = lines(stream)
    assert [l["correlation_id"] for l in found] == ["corr-envelope", "req-42", "a-1", "b-2", ""]
    assert found[1]["attempt"] == 2 and found[1]["level"] == "warning"
    assert all(l["version"] == "2.1.0" for l in found)


def test_an_exception_carries_its_fingerprint_and_patterns_serialize():
    stream = io.StringIO()
    logger = StructuredLogger("orders", stream=stream)
    try:
        {}["order-7"]
    except KeyError as error:
        pattern = ErrorDNA().analyze_error(error)
        logger.exception("lookup failed", extra={"error_dna": pattern})
    [line] = lines(stream)
    assert line["level"] == "error"
    assert line["error"]["fingerprint"] == pattern.fingerprint and line["error"]["type"] == "KeyError"
    assert line["error_dna"]["fingerprint"] == pattern.fingerprint  # the pattern itself, as JSON


def test_any_standard_logger_can_write_the_same_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("billing"))
    plain = logging.getLogger("test.plain")
    plain.addHandler(handler)
    plain.setLevel(logging.INFO)
    plain.propagate = False
    plain.info("paid %s", "inv-1", extra={"amount": 12.5, "tags": {"eu"}})
    [line] = lines(stream)
    assert (line["service"], line["message"], line["amount"], line["tags"]) == ("billing", "paid inv-1", 12.5, ["eu"])
