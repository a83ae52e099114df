"""Workflows as data: definitions loaded from YAML, run by one shared state machine."""
