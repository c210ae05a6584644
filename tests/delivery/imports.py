"""Which third-party modules the project's code imports, and which declared distribution provides each.

Every ``import`` and ``from ... import`` is found with ``ast`` — at module level, inside functions (the
lazy imports that keep start-up fast) and under ``if TYPE_CHECKING:`` alike — so a dependency that
only one command needs is not missed.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

FIRST_PARTY = frozenset({"sparkhu", "manifest_sync", "services"})


def imported_modules(source: str) -> set[str]:
    """Top-level names of every absolute import in ``source`` (relative imports are first-party)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def third_party_imports(roots: Iterable[Path]) -> dict[str, list[str]]:
    """Third-party top-level module -> the files under ``roots`` that import it."""
    users: dict[str, list[str]] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            for module in imported_modules(path.read_text(encoding="utf-8")):
                if module in sys.stdlib_module_names or module in FIRST_PARTY or module == "__future__":
                    continue
                users.setdefault(module, []).append(str(path))
    return users


def declared_names(requirements: Iterable[str]) -> set[str]:
    """Canonical distribution names of requirement strings such as ``hera[yaml]>=7.1``."""
    return {canonicalize_name(Requirement(text).name) for text in requirements}


def undeclared(
    users: Mapping[str, list[str]], declared: set[str], providers: Mapping[str, list[str]]
) -> dict[str, str]:
    """Imported modules that no declared distribution provides, with the reason and a file importing them.

    Args:
        users: Module -> files importing it (see :func:`third_party_imports`).
        declared: Canonical names of the declared distributions.
        providers: Module -> distributions providing it (``importlib.metadata.packages_distributions()``).
    """
    missing: dict[str, str] = {}
    for module, files in sorted(users.items()):
        distributions = {canonicalize_name(name) for name in providers.get(module, [])}
        if not distributions:
            missing[module] = f"no installed distribution provides it (imported by {files[0]})"
        elif not distributions & declared:
            missing[module] = f"provided by {sorted(distributions)}, not declared (imported by {files[0]})"
    return missing
