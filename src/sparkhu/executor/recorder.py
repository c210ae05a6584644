"""Recording a run: its rows in the metadata database, and events for a progress display."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

from sqlalchemy import select

from sparkhu.executor.results import EventKind, NodeResult, RunEvent, RunResult
from sparkhu.metadata.db import session_scope
from sparkhu.metadata.runs import NodeRun, WorkflowRun

EventHandler = Callable[[RunEvent], None]


class Recorder:
    """Writes a run and its nodes as they change; one lock keeps writes from node threads in order."""

    def __init__(self, database_url: str, run: RunResult, file: str, on_event: EventHandler | None) -> None:
        self.database_url = database_url
        self.run = run
        self.file = file
        self.on_event = on_event
        self._lock = threading.Lock()

    def start(self) -> None:
        """Insert the run as Running."""
        with self._lock, session_scope(self.database_url) as session:
            session.add(WorkflowRun(
                id=self.run.run_id, template=self.run.name, file=self.file, parameters=self.run.parameters,
                status=self.run.status, started_at=self.run.started_at, message=self.run.message,
            ))
        self._emit("run-started", None)

    def node(self, node: NodeResult, kind: EventKind) -> None:
        """Save ``node`` (insert or update) and tell the listener."""
        with self._lock:
            if all(known is not node for known in self.run.nodes):
                self.run.nodes.append(node)
            with session_scope(self.database_url) as session:
                query = select(NodeRun).where(NodeRun.run_id == self.run.run_id, NodeRun.name == node.name)
                row = session.scalars(query).one_or_none()
                if row is None:
                    row = NodeRun(run_id=self.run.run_id, name=node.name)
                    session.add(row)
                _copy_node(node, row)
        self._emit(kind, dataclasses.replace(node, outputs=dict(node.outputs)))

    def finish(self) -> None:
        """Save the run's final status, times and message."""
        with self._lock, session_scope(self.database_url) as session:
            row = session.get(WorkflowRun, self.run.run_id)
            if row is not None:
                row.status = self.run.status
                row.finished_at = self.run.finished_at
                row.duration_s = self.run.duration_s
                row.message = self.run.message
        self._emit("run-finished", None)

    def _emit(self, kind: EventKind, node: NodeResult | None) -> None:
        if self.on_event is not None:
            self.on_event(RunEvent(kind, self.run.run_id, node=node, run=self.run))


def _copy_node(node: NodeResult, row: NodeRun) -> None:
    """Copy the fields of a node result onto its database row."""
    row.display_name = node.display_name
    row.template = node.template
    row.status = node.status
    row.attempts = node.attempts
    row.exit_code = node.exit_code
    row.started_at = node.started_at
    row.finished_at = node.finished_at
    row.duration_s = node.duration_s
    row.log_path = node.log_path
    row.outputs = dict(node.outputs)
    row.message = node.message
