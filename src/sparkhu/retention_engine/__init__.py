"""The retention engine: plans policies over the stores, applies plans step by step, audits every change."""
