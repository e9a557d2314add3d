"""Bundled data files (see ATTRIBUTION.md)."""
