"""Central Hub's Python client: registration, heartbeats and discovery (``CentralHubClient``),
config in three layers with hot reload (``ConfigClient``), config writes (``ConfigAPI``) and
the hub's infrastructure checks (``InfrastructureMonitor``). Pure asyncio on aiohttp."""

from .api import ConfigAPI
from .client import CentralHubClient
from .config import ConfigClient, ConfigRefused
from .errors import HubError, HubUnavailable
from .monitoring import InfrastructureMonitor

__all__ = [
    "CentralHubClient",
    "ConfigAPI",
    "ConfigClient",
    "ConfigRefused",
    "HubError",
    "HubUnavailable",
    "InfrastructureMonitor",
]
__version__ = "0.1.0"
