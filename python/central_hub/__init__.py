"""Central Hub's Python client: registration, heartbeats and discovery (``CentralHubClient``),
config in three layers with hot reload (``ConfigClient``), config writes (``ConfigAPI``) and
the hub's infrastructure checks (``InfrastructureMonitor``), and ErrorDNA with its reporter
(``ErrorDNA``, ``ErrorClassifier``, ``ErrorReporter``). Pure asyncio on aiohttp."""

from .api import ConfigAPI
from .client import CentralHubClient
from .config import ConfigClient, ConfigRefused
from .error_dna import ErrorClassifier, ErrorDNA, ErrorPattern
from .error_reporter import ErrorReporter
from .errors import HubError, HubUnavailable
from .monitoring import InfrastructureMonitor
from .performance import PerformanceTracker
from .structured_logging import JsonFormatter, StructuredLogger, correlation

__all__ = [
    "CentralHubClient",
    "ConfigAPI",
    "ConfigClient",
    "ConfigRefused",
    "ErrorClassifier",
    "ErrorDNA",
    "ErrorPattern",
    "ErrorReporter",
    "HubError",
    "HubUnavailable",
    "InfrastructureMonitor",
    "JsonFormatter",
    "PerformanceTracker",
    "StructuredLogger",
    "correlation",
]
__version__ = "0.1.0"
