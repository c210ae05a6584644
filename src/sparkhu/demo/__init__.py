"""Demo data: generated raw files that show every problem the pipeline handles."""
