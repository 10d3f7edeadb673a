"""Likely duplicates: the same petition raised in several villages, found by its words."""
