"""MLflow tracking and model registry for the model pipeline (the only package that imports mlflow)."""
