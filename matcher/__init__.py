"""Catalog, shortage lists, ranking and guided matching (see the matcher issue)."""
