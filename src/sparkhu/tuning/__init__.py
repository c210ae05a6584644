"""Hyperparameter tuning with Ray Tune (the only package that imports ray)."""
