"""What the one-shot commands (``sparkhu detect``, ``sparkhu forecast``) share: a home of their own, the CLI.

A one-shot command runs the very commands a user would type (``ingest``, ``run``) in this process against
a home: a temporary one unless ``--home``, removed afterwards, kept when the run failed (its logs and
quarantine are what a user needs next). Its outputs come from the same tasks and WorkflowTemplates as
the daily pipeline's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from sparkhu.cli.errors import fail
from sparkhu.config import get_settings

console = Console(stderr=True)
HOME_BOUND = ("SPARKHU_LAKE_URI", "SPARKHU_DATABASE_URL", "SPARKHU_MLFLOW_URI", "SPARKHU_LOGS_DIR")
"""Settings that would send a one-shot run to the user's own stores instead of its home."""


@contextmanager
def one_shot_home(home: Path | None, prefix: str) -> Iterator[Path]:
    """Point ``SPARKHU_HOME`` (and nothing else) at ``home`` or a new temporary folder, then restore.

    The temporary folder is removed when the block succeeds and kept (its path printed) when it fails.
    """
    saved = {name: os.environ.get(name) for name in ("SPARKHU_HOME", *HOME_BOUND)}
    chosen = (home or Path(tempfile.mkdtemp(prefix=prefix))).resolve()
    os.environ["SPARKHU_HOME"] = str(chosen)
    for name in HOME_BOUND:
        os.environ.pop(name, None)
    get_settings.cache_clear()
    try:
        yield chosen
    except BaseException:
        if home is None:
            console.print(f"the temporary home is kept: {chosen} (look inside with SPARKHU_HOME={chosen} "
                          "sparkhu runs list, or sparkhu export quarantine --out quarantine.csv)", soft_wrap=True)
        raise
    else:
        if home is None:
            shutil.rmtree(chosen, ignore_errors=True)
    finally:
        _restore(saved)


def _restore(saved: dict[str, str | None]) -> None:
    """Put the saved variables back (removing those that were unset)."""
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    get_settings.cache_clear()


def call(argv: list[str]) -> None:
    """Run one ``sparkhu`` command in this process; exit with its code when it fails."""
    from sparkhu.cli.main import invoke  # the same commands a user types

    console.print(f"[dim]$ sparkhu {' '.join(argv)}[/]", soft_wrap=True)
    code = invoke(argv)
    if code != 0:
        fail(f"`sparkhu {argv[0]}` failed with exit code {code}", code)


def series_ids(files: list[Path]) -> dict[Path, str]:
    """A unique series id per file: its stem, or parent_stem when two files share a stem."""
    stems = [path.stem for path in files]
    return {path: path.stem if stems.count(path.stem) == 1 else f"{path.parent.name}_{path.stem}" for path in files}
