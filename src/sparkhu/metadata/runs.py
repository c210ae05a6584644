"""Workflow runs and their nodes (placeholder module; the executor work fills it in)."""
