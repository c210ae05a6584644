"""Task runtime: declared tasks (inputs, outputs, typed parameters) run by ``sparkhu task run``."""
