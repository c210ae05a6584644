"""Sparkhu: automated time-series analysis and forecasting, Kubernetes-native, runnable locally."""

__version__ = "0.1.0"
