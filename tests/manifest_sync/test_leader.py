"""Lease-based leader election with two replicas against the emulator, on a controllable clock."""

from __future__ import annotations

from pathlib import Path

from manifest_sync.leader import LeaderElector, LeaseRecord
from tests.manifest_sync.conftest import NAMESPACE, Cluster, GitRepo, make_controller, workflow_template

LEASE_PATH = f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}/leases/sparkhu-manifest-sync"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _pair(cluster: Cluster, clock: Clock) -> tuple[LeaderElector, LeaderElector]:
    make = lambda name: LeaderElector(cluster.api(), NAMESPACE, name, lease_duration=15, clock=clock)  # noqa: E731
    return make("replica-a"), make("replica-b")


def _holder(cluster: Cluster) -> LeaseRecord:
    lease = cluster.api().get(LEASE_PATH)
    assert lease is not None
    return LeaseRecord.of(lease)


def test_only_one_of_two_replicas_leads(cluster: Cluster) -> None:
    clock = Clock()
    a, b = _pair(cluster, clock)
    assert a.try_acquire_or_renew() is True
    assert b.try_acquire_or_renew() is False
    assert a.is_leader and not b.is_leader
    assert _holder(cluster).holder == "replica-a"
    clock.now += 10  # a renews in time: b keeps waiting
    assert a.try_acquire_or_renew() is True
    assert b.try_acquire_or_renew() is False
    clock.now += 10
    assert b.try_acquire_or_renew() is False  # the lease changed since b last looked


def test_a_standby_takes_over_an_expired_lease(cluster: Cluster) -> None:
    clock = Clock()
    a, b = _pair(cluster, clock)
    a.try_acquire_or_renew()
    assert b.try_acquire_or_renew() is False  # b starts watching the lease
    clock.now += 16  # a stopped renewing (crashed) for longer than the lease duration
    assert not a.is_leader  # a's own view lapses too: it must not write any more
    assert b.try_acquire_or_renew() is True
    record = _holder(cluster)
    assert record.holder == "replica-b" and record.transitions == 1
    assert a.try_acquire_or_renew() is False  # a comes back and finds b leading


def test_release_hands_over_at_once(cluster: Cluster) -> None:
    clock = Clock()
    a, b = _pair(cluster, clock)
    a.try_acquire_or_renew()
    a.release()
    assert not a.is_leader and _holder(cluster).holder == ""
    assert b.try_acquire_or_renew() is True


def test_only_the_leader_applies(cluster: Cluster, repo: GitRepo, tmp_path: Path) -> None:
    repo.write("manifests/a.yaml", workflow_template("alpha"))
    repo.commit("seed")
    clock = Clock()
    a, b = _pair(cluster, clock)
    first = make_controller(cluster, repo, tmp_path / "a")
    second = make_controller(cluster, repo, tmp_path / "b")
    first.elector, second.elector = a, b
    a.try_acquire_or_renew()
    b.try_acquire_or_renew()

    cluster.mark()
    report = second.sync_once()  # the standby's would-be writes are refused before they are sent
    assert cluster.writes() == []
    assert [o.result for o in report.objects] == ["skipped"]
    assert "no longer the leader" in report.errors[0]
    assert first.sync_once().count("applied") == 1
    assert cluster.writes("workflowtemplates") == [
        ("POST", f"/apis/argoproj.io/v1alpha1/namespaces/{NAMESPACE}/workflowtemplates")
    ]


def test_a_standby_replica_is_ready_and_syncs_as_soon_as_it_leads(
    cluster: Cluster, repo: GitRepo, tmp_path: Path
) -> None:
    controller = make_controller(cluster, repo, tmp_path)
    assert not controller.status.ready
    controller.on_leadership(False)
    assert controller.status.ready and controller.status.snapshot()["role"] == "standby"
    assert b"sparkhu_sync_leader 0.0" in controller.metrics.exposition()
    controller.on_leadership(True)
    assert controller._wake.is_set()  # becoming leader asks for an immediate sync
    assert controller.status.snapshot()["role"] == "leader"
