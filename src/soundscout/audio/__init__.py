"""Decode audio files and cut them into windows."""
