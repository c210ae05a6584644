from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from sparkhu.cli.main import app
from sparkhu.config import Settings
from sparkhu.metadata.db import session_scope
from sparkhu.metadata.runs import NodeRun, WorkflowRun

from .builders import shell, task, trace_line, workflow

runner = CliRunner()


def write(tmp_path: Path, document: dict[str, Any], name: str = "flow.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return str(path)


def greeting_flow(fail: bool = False) -> dict[str, Any]:
    tasks = [task("hello", "say", args={"word": "{{workflow.parameters.word}}"}),
             task("then", "finish", dependencies=["hello"])]
    return workflow(tasks, [shell("say", f'echo "said $1"; {trace_line("$1")}', ("word",)),
                            shell("finish", "exit 7" if fail else "echo done")], parameters={"word": "hi"})


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


@pytest.fixture()
def flow_file(home: Settings, tmp_path: Path, trace: Path) -> str:
    return write(tmp_path, greeting_flow())


def run_ids(output: str) -> list[str]:
    return re.findall(r"Run ([0-9a-f-]{36})", output)


def test_workflow_run_succeeds_and_records_the_run(flow_file: str, home: Settings, trace: Path) -> None:
    result = invoke("workflow", "run", flow_file, "-p", "word=a=b", "--no-warm", "--parallelism", "1")
    assert result.exit_code == 0, result.output
    assert trace.read_text().split() == ["a=b"]
    assert "Succeeded" in result.output and "hello" in result.output
    [run_id] = run_ids(result.output)
    with session_scope(home.database) as session:
        run = session.get(WorkflowRun, run_id)
        assert run is not None and run.status == "Succeeded" and run.parameters == {"word": "a=b"}
        assert run.file == str(Path(flow_file).resolve()) and run.duration_s is not None
        nodes = {node.name: node for node in run.nodes}
        assert set(nodes) == {"hello", "then"}
        assert all(node.status == "Succeeded" and node.attempts == 1 for node in nodes.values())
        assert nodes["hello"].log_path == str(home.logs / run_id / "hello.log")
        assert "said a=b" in Path(nodes["hello"].log_path).read_text()


def test_failed_run_exits_1(home: Settings, tmp_path: Path, trace: Path) -> None:
    result = invoke("workflow", "run", write(tmp_path, greeting_flow(fail=True)))
    assert result.exit_code == 1
    assert "Failed" in result.output and "exit code 7" in result.output
    with session_scope(home.database) as session:
        node = session.query(NodeRun).filter_by(name="then").one()
        assert (node.status, node.exit_code) == ("Failed", 7)


@pytest.mark.parametrize(("args", "message"), [
    (["-p", "word"], "-p expects name=value"),
    (["-p", "=x"], "-p expects name=value"),
    (["-p", "nope=1"], "unknown workflow parameter(s) nope"),
])
def test_bad_parameters_exit_2(flow_file: str, args: list[str], message: str) -> None:
    result = invoke("workflow", "run", flow_file, *args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_unsupported_feature_and_bad_file_exit_2(home: Settings, tmp_path: Path) -> None:
    document = greeting_flow()
    document["spec"]["templates"][0]["dag"]["tasks"][1]["when"] = "{{workflow.parameters.word}} == hi"
    result = invoke("workflow", "run", write(tmp_path, document), "--no-warm")
    assert result.exit_code == 2
    assert "spec.templates[main].dag.tasks[then].when: 'when' is not supported" in result.output
    assert invoke("workflow", "run", str(tmp_path / "absent.yaml")).exit_code == 2
    checked = invoke("workflow", "check", write(tmp_path, greeting_flow(), "ok.yaml"))
    assert checked.exit_code == 0 and "can run locally" in checked.output


def test_runs_list_and_show(flow_file: str, home: Settings, tmp_path: Path) -> None:
    first = run_ids(invoke("workflow", "run", flow_file, "--no-warm").output)[0]
    second = run_ids(invoke("workflow", "run", write(tmp_path, greeting_flow(fail=True), "bad.yaml"),
                            "--no-warm").output)[0]
    listed = invoke("runs", "list")
    assert listed.exit_code == 0
    assert listed.output.index(second[:8]) < listed.output.index(first[:8])  # newest first
    assert "test-flow" in listed.output
    assert invoke("runs", "list", "--limit", "1").output.count("test-flow") == 1

    shown = invoke("runs", "show", second[:6], "--logs")
    assert shown.exit_code == 0, shown.output
    assert second in shown.output and "Failed" in shown.output
    assert "said hi" in shown.output  # the log of node hello
    assert "attempt 1" in shown.output

    missing = invoke("runs", "show", "zzzz")
    assert missing.exit_code == 2 and "no run id starts with 'zzzz'" in missing.output


def test_runs_list_when_empty(home: Settings) -> None:
    result = invoke("runs", "list")
    assert result.exit_code == 0 and "No runs yet" in result.output
