"""What the benchmarks share to measure memory: the resident size of a command's whole process tree."""

from __future__ import annotations

import psutil


def tree_rss(root: psutil.Process) -> int:
    """Bytes resident in ``root`` and all its descendants now (0 when the tree is gone)."""
    try:
        tree = [root, *root.children(recursive=True)]
        return sum(process.memory_info().rss for process in tree if process.is_running())
    except psutil.Error:
        return 0
