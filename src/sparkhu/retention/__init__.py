"""Data retention: policies that keep storage bounded without losing what must stay (archive, downsample, delete)."""
