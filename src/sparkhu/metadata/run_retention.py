"""Workflow runs as a retention store: a finished run with its node rows and their log files is one unit.

The local executor records every run (``workflow_runs``) and node (``workflow_nodes``, with the path of the
node's log) in the metadata database; this store lets a policy bound them. A unit is one run whose status
is final (anything but ``Running``: a run still in progress, or one whose executor died before recording
its end, is never a unit), aged from its end. Its bytes are those of its log files, and its fingerprint
covers the run's status and end, each node's status and end, and the size and mtime of each log, so a run
resumed or retried since the plan is skipped.

An archive is a bundle (:mod:`sparkhu.retention.files`) under ``<home>/archive/runs/<run id>`` (or below
``{archive: {to: FOLDER}}``): ``run.json`` with the run's and nodes' rows (and, per node, the name of its
log in the bundle) and ``logs/`` with copies of the logs, each verified by SHA-256. A delete removes the
rows in one transaction (the nodes cascade) after re-checking the run, then its log files: only those
under the logs folder (a log recorded elsewhere is archived but left where it is), and the run's log
folder once empty. Rows go first: a crash in between leaves orphaned logs, never a run whose archive
would be rewritten without them. Nothing is left for a second stage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_mapper, selectinload

from sparkhu.metadata.db import session_scope
from sparkhu.metadata.runs import NodeRun, WorkflowRun
from sparkhu.retention.files import (
    GONE,
    json_bytes,
    local_folder,
    prune_empty_parents,
    short_digest,
    verify_bundle,
    write_bundle,
)
from sparkhu.retention.policy import Scope
from sparkhu.retention.store import NoDownsample, OneStageDelete, Receipt, StoreError, Unit, UnitChanged

TARGET = "workflow_runs"
"""The one target of the store (the table of runs)."""
RUNNING = "Running"


class RunStore(NoDownsample, OneStageDelete):
    """Retention over the workflow runs recorded in one metadata database.

    Args:
        database: SQLAlchemy URL of the metadata database.
        logs: The logs folder (``Settings.logs``): relative log paths start there, and only log files
            below it are deleted.
        home: Sparkhu's home: default archives go to ``<home>/archive/runs``, relative ``to`` paths start there.
    """

    holds = "workflow runs"
    delete_note = "a run's delete has no second stage"

    name = "runs"

    def __init__(self, database: str, logs: Path, home: Path) -> None:
        self.database = database
        self.logs = logs
        self.home = home

    def units(self, scope: Scope, cutoff: datetime | None, deletes: bool, series: list[str] | None,
              held_series: list[str]) -> list[Unit]:
        """Every run whose status is final, oldest first."""
        with session_scope(self.database) as session:
            query = (select(WorkflowRun).where(WorkflowRun.status != RUNNING)
                     .options(selectinload(WorkflowRun.nodes)))
            units = [self._unit(run) for run in session.scalars(query)]
        return sorted(units, key=lambda unit: (unit.newest, unit.key))

    def fingerprint(self, unit: Unit) -> str:
        """The run's state now (``gone`` once its rows are deleted)."""
        with session_scope(self.database) as session:
            run = _run(session, unit.detail["run_id"])
            return GONE if run is None else self._fingerprint(run)

    def remaining(self, unit: Unit) -> int:
        """1 while the run's row exists, else 0."""
        with session_scope(self.database) as session:
            return int(session.get(WorkflowRun, unit.detail["run_id"]) is not None)

    def archive(self, unit: Unit, location: str | None, tag: str) -> Receipt:
        """Export the run, its nodes and copies of their logs to a bundle, verified file by file."""
        base = local_folder(location, self.home) if location else self.home / "archive" / "runs"
        with session_scope(self.database) as session:
            run = _run(session, unit.detail["run_id"])
            if run is None:
                raise StoreError(f"workflow run {unit.detail['run_id']} is no longer recorded: nothing to archive")
            logs = self._archived_logs(run)
            document = {"run": _row(run), "nodes": [_row(node) | {"archived_log": logs.get(node.log_path)}
                                                    for node in run.nodes]}
        files = {name: self._log(path) for path, name in logs.items() if name is not None}
        return write_bundle(base / run.id, {"run.json": json_bytes(document)}, files, tag, rows=1)

    def verify(self, unit: Unit, receipt: Receipt) -> bool:
        """Whether the bundle still holds exactly the files it was written with."""
        return verify_bundle(receipt)


    def delete(self, unit: Unit) -> int:
        """Delete the run's rows (nodes cascade) if it is unchanged and not running, then its log files."""
        with session_scope(self.database) as session:
            run = _run(session, unit.detail["run_id"], lock=True)
            if run is None:
                return 0
            if run.status == RUNNING:
                raise UnitChanged(f"workflow run {run.id} is running again: a running run is never deleted")
            if self._fingerprint(run) != unit.fingerprint:
                raise UnitChanged(f"workflow run {run.id} changed since the plan")
            paths = [self._log(node.log_path) for node in run.nodes if node.log_path]
            session.delete(run)
        for path in self._owned(paths):
            path.unlink(missing_ok=True)
            prune_empty_parents(path, self.logs.resolve())
        return 1


    def size(self, target: str) -> tuple[int, int]:
        """Recorded runs (running ones too) and the bytes of their log files."""
        with session_scope(self.database) as session:
            runs = list(session.scalars(select(WorkflowRun).options(selectinload(WorkflowRun.nodes))))
            return len(runs), sum(self._log_size(run)[1] for run in runs)

    def version(self, target: str) -> str | None:
        """The table of runs has no versions."""
        return None

    def _unit(self, run: WorkflowRun) -> Unit:
        files, size = self._log_size(run)
        return Unit(key=f"run={run.id}", target=TARGET, newest=_aware(run.finished_at or run.started_at), rows=1,
                    bytes=size, files=files, fingerprint=self._fingerprint(run),
                    detail={"run_id": run.id, "template": run.template})

    def _fingerprint(self, run: WorkflowRun) -> str:
        """Status and end of the run and of each node, and the size and mtime of each log."""
        return short_digest({
            "status": run.status, "finished": _iso(run.finished_at), "message": run.message,
            "nodes": [(node.name, node.status, node.attempts, _iso(node.finished_at), node.log_path,
                       _stat(self._log(node.log_path)) if node.log_path else None) for node in run.nodes]})

    def _log(self, log_path: str) -> Path:
        """A node's log file (a relative path is below the logs folder)."""
        path = Path(log_path).expanduser()
        return path if path.is_absolute() else self.logs / path

    def _log_files(self, run: WorkflowRun) -> list[Path]:
        """The run's distinct log files that exist."""
        paths = dict.fromkeys(self._log(node.log_path) for node in run.nodes if node.log_path)
        return [path for path in paths if path.is_file()]

    def _log_size(self, run: WorkflowRun) -> tuple[int, int]:
        files = self._log_files(run)
        return len(files), sum(path.stat().st_size for path in files)

    def _archived_logs(self, run: WorkflowRun) -> dict[str, str | None]:
        """Each node's log path → its name in the bundle (None: the node has no log file)."""
        names: dict[str, str | None] = {}
        for node in run.nodes:
            if node.log_path and node.log_path not in names:
                path = self._log(node.log_path)
                names[node.log_path] = f"logs/{node.id:06d}-{path.name}" if path.is_file() else None
        return names

    def _owned(self, paths: list[Path]) -> list[Path]:
        """The paths below the logs folder (the only log files a delete removes)."""
        root = self.logs.resolve()
        return [path for path in dict.fromkeys(path.resolve() for path in paths) if root in path.parents]


def _run(session: Session, run_id: str, lock: bool = False) -> WorkflowRun | None:
    """A run with its nodes loaded (``lock``: its row locked for the transaction where the database can)."""
    query = select(WorkflowRun).where(WorkflowRun.id == run_id).options(selectinload(WorkflowRun.nodes))
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def _row(row: WorkflowRun | NodeRun) -> dict[str, Any]:
    """A row's columns as JSON-ready data (times as ISO text in UTC)."""
    values = {column.key: getattr(row, column.key) for column in object_mapper(row).column_attrs}
    return {key: _iso(value) if isinstance(value, datetime) else value for key, value in values.items()}


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes: they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else _aware(moment).isoformat()
