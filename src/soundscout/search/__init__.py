"""The search service: catalog + index + encoder."""
