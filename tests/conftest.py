"""Shared helpers live in tests/support.py (importable as `support` from any test directory)."""
