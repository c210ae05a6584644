"""Delta Lake storage: one declaration of every table, slice-replacing writes, filtered reads."""
