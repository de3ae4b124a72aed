"""``StructuredLogger``: JSON lines on the standard ``logging`` module, with the service, the level,
the message, the request's ``correlation_id`` and any fields the call adds.

    logger = StructuredLogger(service="api-gateway")
    logger.info("WebSocket connection established", extra={"user_id": "user123", "latency_ms": 15})
    # {"time": "2026-12-01T08:00:00.123Z", "level": "info", "service": "api-gateway",
    #  "message": "WebSocket connection established", "correlation_id": "", "user_id": "user123", "latency_ms": 15}

    with correlation(envelope):            # a MessageEnvelope, a request's headers, or the id itself
        logger.error("order failed", extra={"error_dna": pattern})

The correlation id lives in a context variable, so each asyncio task (each request) has its own.
``JsonFormatter`` formats any standard logger's records the same way.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
import logging
import sys
import time
from typing import IO, Any, Dict, Iterator, Mapping, Optional

_correlation: contextvars.ContextVar[str] = contextvars.ContextVar("central_hub_correlation_id", default="")

# What a LogRecord has of its own: everything else on it came from `extra`.
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}

_HEADERS = ("x-correlation-id", "x-request-id", "correlation-id")


def correlation_id_of(source: Any) -> str:
    """The correlation id in ``source``: a ``MessageEnvelope`` (or anything with
    ``correlation_id``), a mapping with ``correlation_id`` or a request's headers
    (``X-Correlation-ID``, ``X-Request-ID``), or the id as a string."""
    if source is None:
        return ""
    if isinstance(source, str):
        return source
    if isinstance(source, Mapping):
        if "correlation_id" in source:
            return str(source["correlation_id"])
        lowered = {str(k).lower(): v for k, v in source.items()}
        for header in _HEADERS:
            if header in lowered:
                return str(lowered[header])
        return ""
    headers = getattr(source, "headers", None)  # an aiohttp or other request
    if headers is not None and not hasattr(source, "correlation_id"):
        return correlation_id_of(dict(headers))
    return str(getattr(source, "correlation_id", "") or "")


@contextlib.contextmanager
def correlation(source: Any) -> Iterator[str]:
    """Within the block, every structured line carries ``source``'s correlation id."""
    token = _correlation.set(correlation_id_of(source))
    try:
        yield _correlation.get()
    finally:
        _correlation.reset(token)


def current_correlation_id() -> str:
    return _correlation.get()


def _jsonable(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


class JsonFormatter(logging.Formatter):
    """Formats records as one JSON object per line: ``time``, ``level``, ``service``,
    ``message``, ``logger``, ``correlation_id``, the record's ``extra`` fields, and for an
    exception ``error`` with its type, message and ErrorDNA fingerprint."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        self._dna: Optional[Any] = None

    def format(self, record: logging.LogRecord) -> str:
        line: Dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "message": record.getMessage(),
            "logger": record.name,
            "correlation_id": getattr(record, "correlation_id", None) or _correlation.get(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in line:
                line[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            if self._dna is None:
                from .error_dna import ErrorDNA

                self._dna = ErrorDNA()
            pattern = self._dna.analyze_error(record.exc_info[1])
            line["error"] = {"type": pattern.type, "message": pattern.message, "fingerprint": pattern.fingerprint}
        return json.dumps(line, default=_jsonable, ensure_ascii=False)


class StructuredLogger:
    """The seed's ``StructuredLogger(service=…)``: a standard logger named ``service`` whose
    lines are JSON (``JsonFormatter``), written to ``stream`` (standard error by default).
    ``fields`` are added to every line (``version``, ``host``)."""

    def __init__(
        self, service: str, *, level: int = logging.INFO, stream: Optional[IO[str]] = None, fields: Optional[Dict[str, Any]] = None
    ) -> None:
        self.service = service
        self.fields = dict(fields or {})
        self.logger = logging.getLogger(f"central_hub.service.{service}")
        self.logger.setLevel(level)
        self.logger.propagate = False  # one line per call, not a second from the root logger
        for handler in list(self.logger.handlers):
            self.logger.removeHandler(handler)
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.setFormatter(JsonFormatter(service))
        self.logger.addHandler(handler)

    def _log(self, level: int, message: str, args: Any, extra: Optional[Mapping[str, Any]], exc_info: Any, fields: Dict[str, Any]) -> None:
        merged = {**self.fields, **(extra or {}), **fields}
        self.logger.log(level, message, *args, extra=merged, exc_info=exc_info, stacklevel=3)

    def debug(self, message: str, *args: Any, extra: Optional[Mapping[str, Any]] = None, **fields: Any) -> None:
        self._log(logging.DEBUG, message, args, extra, None, fields)

    def info(self, message: str, *args: Any, extra: Optional[Mapping[str, Any]] = None, **fields: Any) -> None:
        self._log(logging.INFO, message, args, extra, None, fields)

    def warning(self, message: str, *args: Any, extra: Optional[Mapping[str, Any]] = None, **fields: Any) -> None:
        self._log(logging.WARNING, message, args, extra, None, fields)

    def error(self, message: str, *args: Any, extra: Optional[Mapping[str, Any]] = None, exc_info: Any = None, **fields: Any) -> None:
        self._log(logging.ERROR, message, args, extra, exc_info, fields)

    def exception(self, message: str, *args: Any, extra: Optional[Mapping[str, Any]] = None, **fields: Any) -> None:
        """``error`` with the exception being handled, and its ErrorDNA fingerprint."""
        self._log(logging.ERROR, message, args, extra, True, fields)

    def critical(self, message: str, *args: Any, extra: Optional[Mapping[str, Any]] = None, **fields: Any) -> None:
        self._log(logging.CRITICAL, message, args, extra, None, fields)


__all__ = ["JsonFormatter", "StructuredLogger", "correlation", "correlation_id_of", "current_correlation_id"]
