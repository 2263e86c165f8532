"""Moments: the time ranges inside long recordings that match a query (docs/search.md)."""
