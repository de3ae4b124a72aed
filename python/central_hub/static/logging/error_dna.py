"""The seed's ``from central_hub.static.logging.error_dna import ErrorDNA, ErrorClassifier``."""

from ...error_dna import Classification, ErrorClassifier, ErrorDNA, ErrorPattern, Frame

__all__ = ["Classification", "ErrorClassifier", "ErrorDNA", "ErrorPattern", "Frame"]
