"""The seed's ``central_hub.static.logging``: ``StructuredLogger`` (and ErrorDNA in ``.error_dna``)."""

from ...structured_logging import JsonFormatter, StructuredLogger, correlation, current_correlation_id

__all__ = ["JsonFormatter", "StructuredLogger", "correlation", "current_correlation_id"]
