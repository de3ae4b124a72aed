"""The seed's ``from central_hub.static.utils.performance import PerformanceTracker``."""

from ...performance import BOUNDS_MS, PerformanceTracker

__all__ = ["BOUNDS_MS", "PerformanceTracker"]
