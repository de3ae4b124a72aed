"""The seed's import paths for the libraries services import (``central_hub.static.logging``,
``central_hub.static.logging.error_dna``, ``central_hub.static.utils.performance``), so its
samples' import lines work as written. The code lives in ``central_hub`` itself."""
