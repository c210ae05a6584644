from __future__ import annotations

import json
from pathlib import Path

from sparkhu.config import Settings
from sparkhu.executor.outputs import map_outputs
from sparkhu.executor.spec import OutputParameter

from .builders import PY, container, max_overlap, shell, task, timed, trace_line, workflow
from .conftest import Runner


def traced(name: str = "mark") -> dict:
    return shell(name, trace_line('"$1"'), ("label",))


def test_linear_and_diamond_dags_run_in_dependency_order(run: Runner, trace: Path) -> None:
    doc = workflow([
        task("a", "mark", args={"label": "a"}),
        task("b", "mark", dependencies=["a"], args={"label": "b"}),
        task("c", "mark", dependencies=["a"], args={"label": "c"}),
        task("d", "mark", depends="b && c", args={"label": "d"}),
        task("e", "mark", dependencies=["d"], args={"label": "e"}),
    ], [traced()])
    result = run(doc)
    order = trace.read_text().split()
    assert result.status == "Succeeded"
    assert order[0] == "a" and set(order[1:3]) == {"b", "c"} and order[3:] == ["d", "e"]
    assert {node.name: node.status for node in result.nodes} == dict.fromkeys("abcde", "Succeeded")


def test_parallel_branches_overlap_within_the_bound(run: Runner, tmp_path: Path) -> None:
    log = tmp_path / "times.txt"
    doc = workflow([task("sleep", "timed", withItems=["a", "b", "c", "d"],
                         args={"label": "{{item}}", "seconds": "0.4", "file": str(log)})], [timed()])
    assert run(doc, parallelism=2).ok
    assert max_overlap(log.read_text().splitlines()) == 2
    log.unlink()
    assert run(doc, parallelism=4).ok
    assert max_overlap(log.read_text().splitlines()) >= 3


def test_dag_template_parallelism_limits_its_tasks(run: Runner, tmp_path: Path) -> None:
    log = tmp_path / "times.txt"
    doc = workflow([task("sleep", "timed", withItems=[1, 2, 3],
                         args={"label": "{{item}}", "seconds": "0.2", "file": str(log)})], [timed()])
    doc["spec"]["templates"][0]["parallelism"] = 1
    assert run(doc, parallelism=3).ok
    assert max_overlap(log.read_text().splitlines()) == 1


def test_with_items_scalars_and_maps(run: Runner, trace: Path) -> None:
    doc = workflow([
        task("scalar", "mark", withItems=["x", 2, True], args={"label": "s-{{item}}"}),
        task("map", "mark", withItems=[{"os": "linux", "n": 1}, {"os": "mac", "n": 2}],
             args={"label": "{{item.os}}-{{item.n}}"}),
    ], [traced()])
    result = run(doc)
    assert result.ok
    assert sorted(trace.read_text().split()) == ["linux-1", "mac-2", "s-2", "s-true", "s-x"]
    names = {node.name for node in result.nodes}
    expected = {"scalar(0:x)", "scalar(1:2)", "scalar(2:true)", "map(0:n:1,os:linux)", "map(1:n:2,os:mac)"}
    assert expected <= names


def test_with_sequence_count_end_and_format(run: Runner, trace: Path) -> None:
    doc = workflow([
        task("count", "mark", withSequence={"count": "{{workflow.parameters.n}}", "format": "c%02d"},
             args={"label": "{{item}}"}),
        task("down", "mark", withSequence={"start": "3", "end": "1"}, args={"label": "d{{item}}"}),
    ], [traced()], parameters={"n": "3"})
    assert run(doc).ok
    assert sorted(trace.read_text().split()) == ["c00", "c01", "c02", "d1", "d2", "d3"]


def test_output_parameter_feeds_with_param_and_aggregates(run: Runner, trace: Path) -> None:
    plan = container("plan", ["sh", "-c", "printf '%s\\n' '[\"0/2\",\"1/2\"]' > /tmp/outputs/shards"],
                     outputs={"shards": "/tmp/outputs/shards"})
    code = "import sys; open(sys.argv[2], 'w').write(sys.argv[1].replace('/', 'of'))"
    work = container("work", [PY, "-c", code, "{{inputs.parameters.shard}}", "/tmp/outputs/label"],
                     ("shard",), outputs={"label": "/tmp/outputs/label"})
    doc = workflow([
        task("plan-shards", "plan"),
        task("work", "work", dependencies=["plan-shards"], args={"shard": "{{item}}"},
             withParam="{{tasks.plan-shards.outputs.parameters.shards}}"),
        task("sum", "mark", dependencies=["work"], args={"label": "{{tasks.work.outputs.parameters.label}}"}),
    ], [plan, work, traced()])
    result = run(doc)
    assert result.ok, result.message
    assert result.node("plan-shards").outputs == {"shards": '["0/2","1/2"]'}
    assert result.node("work(1:1/2)").outputs == {"label": "1of2"}
    assert json.loads(trace.read_text()) == ["0of2", "1of2"]


def test_missing_output_file_uses_default_or_errors(run: Runner) -> None:
    quiet = container("quiet", ["true"], outputs={"v": "/tmp/outputs/v"})
    defaulted = container("defaulted", ["true"])
    value_from = {"path": "/tmp/o/v", "default": "none"}
    defaulted["outputs"] = {"parameters": [{"name": "v", "valueFrom": value_from}]}
    result = run(workflow([task("q", "quiet"), task("d", "defaulted")], [quiet, defaulted]))
    assert result.node("d").outputs == {"v": "none"}
    assert result.node("q").status == "Error"
    assert "did not write /tmp/outputs/v" in result.node("q").message
    assert result.status == "Error"


def test_failed_branch_handled_by_depends_keeps_the_run_green(run: Runner, trace: Path) -> None:
    doc = workflow([
        task("flaky", "fail"),
        task("on-failure", "mark", depends="flaky.Failed", args={"label": "handled"}),
        task("on-success", "mark", depends="flaky.Succeeded && on-failure", args={"label": "never"}),
        task("cleanup", "mark", depends="on-success.Omitted || on-success.Succeeded",
             args={"label": "clean"}),
    ], [shell("fail", "exit 3"), traced()])
    result = run(doc)
    assert result.status == "Succeeded", result.message
    assert trace.read_text().split() == ["handled", "clean"]
    assert result.node("flaky").status == "Failed" and result.node("flaky").exit_code == 3
    assert result.node("on-success").status == "Omitted"


def test_failure_propagates_to_dependants_and_fails_the_run(run: Runner, trace: Path) -> None:
    doc = workflow([
        task("ok", "mark", args={"label": "ok"}),
        task("broken", "fail", dependencies=["ok"]),
        task("after", "mark", dependencies=["broken"], args={"label": "after"}),
        task("last", "mark", dependencies=["after"], args={"label": "last"}),
    ], [shell("fail", "echo boom >&2; exit 1"), traced()])
    result = run(doc)
    assert result.status == "Failed"
    assert result.message == "failed: broken (exit code 1)"
    assert trace.read_text().split() == ["ok"]
    assert [result.node(n).status for n in ("ok", "broken", "after", "last")] == [
        "Succeeded", "Failed", "Omitted", "Omitted"]
    assert "boom" in Path(result.node("broken").log_path).read_text()


def test_fail_fast_stops_new_tasks_unless_disabled(run: Runner, trace: Path) -> None:
    tasks = [task("broken", "fail"), task("independent", "mark", args={"label": "independent"})]
    doc = workflow(tasks, [shell("fail", "exit 1"), traced()])
    result = run(doc, parallelism=1)
    assert result.status == "Failed"
    assert result.node("independent").status == "Omitted"
    assert "fail fast" in result.node("independent").message
    doc["spec"]["templates"][0]["dag"]["failFast"] = False
    result = run(doc, parallelism=1)
    assert result.status == "Failed"
    assert trace.read_text().split() == ["independent"]


def test_a_failed_loop_expansion_fails_the_group(run: Runner, trace: Path) -> None:
    doc = workflow([
        task("each", "check", withItems=["1", "0", "1"], args={"n": "{{item}}"}),
        task("any", "mark", depends="each.AnySucceeded", args={"label": "any"}),
        task("all", "mark", dependencies=["each"], args={"label": "all"}),
    ], [shell("check", '[ "$1" = 1 ]', ("n",)), traced()])
    result = run(doc)
    assert result.status == "Failed"
    assert trace.read_text().split() == ["any"]
    assert result.node("each(1:0)").status == "Failed" and result.node("all").status == "Omitted"


def test_retry_succeeds_on_second_attempt(run: Runner, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    script = f"if [ -f {marker} ]; then echo second; else touch {marker}; echo first; exit 1; fi"
    flaky = shell("flaky", script,
                  retryStrategy={"limit": "2", "backoff": {"duration": "50ms", "factor": 2}})
    result = run(workflow([task("flaky", "flaky")], [flaky]))
    node = result.node("flaky")
    assert result.ok and node.attempts == 2 and node.exit_code == 0
    log = Path(node.log_path).read_text()
    assert log.count("=== attempt") == 2 and "first" in log and "second" in log


def test_retries_run_out(run: Runner) -> None:
    doomed = shell("doomed", "exit 4", retryStrategy={"limit": 2})
    result = run(workflow([task("doomed", "doomed")], [doomed]))
    node = result.node("doomed")
    assert result.status == "Failed" and node.attempts == 3 and node.exit_code == 4


def test_nested_dag_with_inputs_and_outputs(run: Runner, trace: Path) -> None:
    produce = container("produce", ["sh", "-c", 'printf "%s!" "$1" > /tmp/out/v', "sh",
                                    "{{inputs.parameters.x}}"], ("x",), outputs={"v": "/tmp/out/v"})
    output = {"name": "v", "valueFrom": {"parameter": "{{tasks.p.outputs.parameters.v}}"}}
    inner = {"name": "inner", "inputs": {"parameters": [{"name": "x"}]}, "outputs": {"parameters": [output]},
             "dag": {"tasks": [task("p", "produce", args={"x": "{{inputs.parameters.x}}"})]}}
    doc = workflow([task("sub", "inner", args={"x": "hey"}),
                    task("use", "mark", dependencies=["sub"],
                         args={"label": "{{tasks.sub.outputs.parameters.v}}"})],
                   [inner, produce, traced()])
    result = run(doc)
    assert result.ok, result.message
    assert result.node("sub.p").outputs == {"v": "hey!"}
    assert result.node("sub").outputs == {"v": "hey!"}
    assert trace.read_text().split() == ["hey!"]


def test_script_template_and_container_entrypoint(run: Runner, trace: Path) -> None:
    source = "import os\nopen(os.environ['TRACE'], 'a').write('{{inputs.parameters.word}} {{workflow.name}}')"
    say = {"name": "say", "inputs": {"parameters": [{"name": "word"}]},
           "script": {"image": "python", "command": [PY], "source": source}}
    doc = {"kind": "Workflow", "metadata": {"generateName": "script-"},
           "spec": {"entrypoint": "say", "arguments": {"parameters": [{"name": "word", "value": "hello"}]},
                    "templates": [say]}}
    result = run(doc, {"word": "bonjour"})
    assert result.ok, result.message
    assert trace.read_text() == f"bonjour script-{result.run_id[:8]}"


def test_container_env_and_settings_reach_the_process(run: Runner, home: Settings, trace: Path) -> None:
    env = shell("env", trace_line('"$GREETING:$SPARKHU_HOME"'))
    env["container"]["env"] = [{"name": "GREETING", "value": "hi-{{workflow.parameters.who}}"}]
    result = run(workflow([task("env", "env")], [env], parameters={"who": "you"}))
    assert result.ok
    assert trace.read_text().strip() == f"hi-you:{home.home}"


def test_unknown_command_is_a_node_error(run: Runner) -> None:
    result = run(workflow([task("x", "x")], [container("x", ["no-such-program-xyz"])]))
    assert result.node("x").status == "Error"
    assert "command not found" in result.node("x").message


def test_output_folder_rewrite_respects_path_boundaries(tmp_path: Path) -> None:
    declared = [OutputParameter("a", path="/tmp/outputs/a"), OutputParameter("b", path="/tmp/o/b")]
    mapping = map_outputs(declared, tmp_path)
    local = dict(mapping.folders)["/tmp/outputs"]
    assert mapping.rewrite("--outputs-dir /tmp/outputs") == f"--outputs-dir {local}"
    assert mapping.rewrite("--out=/tmp/outputs/a") == f"--out={local}/a"
    untouched = "/tmp/outputs2 /x/tmp/outputs /tmp/outputs.bak"
    assert mapping.rewrite(untouched) == untouched
    assert mapping.local_path("/tmp/o/b") == dict(mapping.folders)["/tmp/o"] / "b"


def test_workflow_level_retry_strategy_applies_to_every_template(run: Runner, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    flaky = shell("flaky", f"[ -f {marker} ] || {{ touch {marker}; exit 1; }}")
    result = run(workflow([task("flaky", "flaky")], [flaky], retryStrategy={"limit": 1}))
    assert result.ok and result.node("flaky").attempts == 2


def test_dag_target_runs_only_the_target_and_its_ancestors(run: Runner, trace: Path) -> None:
    doc = workflow([
        task("a", "mark", args={"label": "a"}),
        task("b", "mark", dependencies=["a"], args={"label": "b"}),
        task("c", "mark", dependencies=["a"], args={"label": "c"}),
    ], [traced()])
    doc["spec"]["templates"][0]["dag"]["target"] = "b"
    result = run(doc)
    assert result.ok
    assert trace.read_text().split() == ["a", "b"]
    assert {node.name for node in result.nodes} == {"a", "b"}
