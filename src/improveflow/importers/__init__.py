"""Importers: turn files written by people (plans, directories) into improveflow's own terms."""
