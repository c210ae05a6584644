"""Forecasting models: families behind one interface, registered like the imputation variants.

Pure code beside :mod:`sparkhu.analysis`: numpy, pandas and the model libraries (scikit-learn,
LightGBM, statsforecast; torch as an optional extra). No MLflow, Ray, storage or orchestration import:
the tasks wrap these in tuning, tracking and the lake.
"""
