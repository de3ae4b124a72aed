"""The seed's ``central_hub.static.logging``: ErrorDNA (``.error_dna``)."""
