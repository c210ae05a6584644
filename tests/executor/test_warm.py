from __future__ import annotations

import os
import sys
from pathlib import Path

from sparkhu.config import Settings

from .builders import container, task, workflow
from .conftest import Runner

ENTRY = {"fake": f"{__name__}:fake_cli"}


def fake_cli(argv: list[str]) -> int:
    """A stand-in CLI run inside warm workers: ``env``, ``out PATH``, ``exit CODE``, ``crash``."""
    action = argv[0]
    if action == "env":
        print(f"greeting={os.environ.get('GREETING', 'unset')} pid={os.getpid()}")
        print("to stderr", file=sys.stderr)
    elif action == "out":
        Path(argv[1]).write_text(f"written by {os.getpid()}\n")
    elif action == "exit":
        raise SystemExit(int(argv[1]))
    elif action == "crash":
        raise ValueError("the task blew up")
    elif action == "die":
        os._exit(9)  # the worker process itself goes away
    return 0


def log_of(result, name: str) -> str:
    return Path(result.node(name).log_path).read_text()


def test_warm_calls_reuse_a_worker_and_restore_its_environment(run: Runner) -> None:
    with_env = container("with-env", ["fake", "env"])
    with_env["container"]["env"] = [{"name": "GREETING", "value": "hello"}]
    doc = workflow([task("first", "with-env"), task("second", "plain", dependencies=["first"])],
                   [with_env, container("plain", ["fake", "env"])])
    result = run(doc, warm=True, warm_entrypoints=ENTRY, parallelism=1)
    assert result.ok, result.message
    first, second = log_of(result, "first"), log_of(result, "second")
    assert "greeting=hello" in first and "to stderr" in first
    assert "greeting=unset" in second
    pid = first.split("pid=")[1].split()[0]
    assert f"pid={pid}" in second and pid != str(os.getpid())


def test_warm_exit_codes_outputs_and_crashes(run: Runner) -> None:
    doc = workflow(
        [task("out", "out"), task("exit", "exit"), task("crash", "crash")],
        [container("out", ["fake", "out", "/tmp/outputs/v"], outputs={"v": "/tmp/outputs/v"}),
         container("exit", ["fake", "exit", "5"]), container("crash", ["fake", "crash"])])
    doc["spec"]["templates"][0]["dag"]["failFast"] = False
    result = run(doc, warm=True, warm_entrypoints=ENTRY)
    assert result.status == "Failed"
    assert result.node("out").outputs["v"].startswith("written by ")
    assert result.node("exit").exit_code == 5 and result.node("exit").status == "Failed"
    assert result.node("crash").exit_code == 1
    assert "ValueError: the task blew up" in log_of(result, "crash")


def test_real_sparkhu_config_node_warm_and_cold(run: Runner, home: Settings) -> None:
    config = container("config", ["sparkhu", "config"])
    config["container"]["env"] = [{"name": "COLUMNS", "value": "300"}]  # rich would cut long paths at 80
    doc = workflow([task("config", "config")], [config])
    for warm in (True, False):
        result = run(doc, warm=warm)
        assert result.ok, result.message
        log = log_of(result, "config")
        assert "Sparkhu configuration" in log
        # The node saw this test's SPARKHU_HOME: environment and settings cache are per call.
        assert f"{home.home} " in log


def test_a_dead_worker_errors_its_node_and_the_pool_recovers(run: Runner) -> None:
    doc = workflow([task("die", "die"), task("after", "after", depends="die.Errored")],
                   [container("die", ["fake", "die"]), container("after", ["fake", "env"])])
    result = run(doc, warm=True, warm_entrypoints=ENTRY, parallelism=1)
    assert result.node("die").status == "Error"
    assert "warm worker" in result.node("die").message
    assert result.node("after").status == "Succeeded"
    assert "greeting=unset" in log_of(result, "after")
    assert result.ok
