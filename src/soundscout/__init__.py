"""Soundscout: semantic search for sound libraries."""

__version__ = "0.1.0"
