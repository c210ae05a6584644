"""Metadata in SQL (SQLAlchemy): features (series), workflow runs and their nodes."""
