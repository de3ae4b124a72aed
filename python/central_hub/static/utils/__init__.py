"""The seed's ``central_hub.static.utils``."""
