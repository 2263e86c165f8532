"""Ingest: scan, decode, embed and commit, resumably."""
