"""Metadata that audio files carry about themselves (BWF, iXML, RIFF INFO, tags)."""
