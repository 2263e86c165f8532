"""Encoders turn audio and text into vectors of one shared space."""

from soundscout.encoders.base import Encoder
from soundscout.encoders.registry import available_encoders, create_encoder

__all__ = ["Encoder", "available_encoders", "create_encoder"]
