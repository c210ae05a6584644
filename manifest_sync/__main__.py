"""``python -m manifest_sync``: the same as the ``sparkhu-sync`` console script."""

from manifest_sync.cli import main

main()
