"""gridscore.distributed on a real Ray cluster of two nodes (a head and a
worker node, separate raylets and object stores, all on 127.0.0.1), started
and stopped here: results equal local runs and the CLI, also when a worker
is killed in the middle of a task."""

import json
import os
import signal
import tempfile
import threading
import time

# Every Ray address on the loopback interface (Ray otherwise announces the
# host's network address); set before Ray is imported.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"

import pytest  # noqa: E402
import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

import gridscore  # noqa: E402
from gridscore import distributed  # noqa: E402
from conftest import ASSETS  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    temp = tempfile.mkdtemp(prefix="gsray")
    # Ray writes the cluster's address to <RAY_TMPDIR or /tmp>/ray/ whatever
    # the nodes' temp_dir, and expects that folder to exist (a node started
    # with the default temp_dir creates it; ours are not): give it one of
    # our own, so that a fresh machine without /tmp/ray works too.
    os.environ["RAY_TMPDIR"] = temp
    os.makedirs(os.path.join(temp, "ray"), exist_ok=True)
    node = dict(
        num_cpus=1,
        node_ip_address="127.0.0.1",
        object_store_memory=100 * 1024 * 1024,
        temp_dir=temp,
    )
    c = Cluster(initialize_head=True, head_node_args=dict(node, include_dashboard=False))
    head, worker = c.head_node, c.add_node(**node)
    c.wait_for_nodes()
    ray.init(address=c.address, logging_level="WARNING")
    try:
        nodes = [n for n in ray.nodes() if n["Alive"]]
        assert len(nodes) == 2
        assert {n["NodeManagerAddress"] for n in nodes} == {"127.0.0.1"}
        yield c
    finally:
        ray.shutdown()
        c.shutdown()
        assert not worker.any_processes_alive() and not head.any_processes_alive()


def shard_workers():
    """PIDs of Ray workers running a score shard now."""
    pids = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if cmd.startswith(b"ray::_score_shard"):
                pids.append(int(pid))
    return pids


@pytest.fixture(scope="module")
def programs(run_cli):
    text = run_cli("random-programs", "-n", "40000", "--max-ops", "3", "--seed", "11").stdout
    return text.splitlines() + ["flip_hh", "flip_h", "mine: rot90"]


def test_search_equals_the_cli_submission(cluster, run_cli, tmp_path, tasks):
    out = tmp_path / "sub.json"
    run_cli("search", ASSETS / "tasks", "--depth", "1", "--device", "cpu", "--quiet", "--out", out)
    sub = distributed.search(tasks, depth=1, device="cpu", address=cluster.address)
    assert list(sub) == sorted(tasks)
    assert json.dumps(sub, separators=(",", ":")) == out.read_text()
    # A path is loaded by the driver.
    assert distributed.search(str(ASSETS / "tasks"), depth=1, device="cpu") == sub
    local = {i: gridscore.search(t, depth=1, device="cpu")["attempts"] for i, t in tasks.items()}
    assert sub == local


def test_score_equals_the_local_ranking(cluster, tasks, programs):
    task = tasks["fill_rooms"]
    local = gridscore.score(task, programs, device="cpu")
    rows = distributed.score(task, programs, shards=5, device="cpu")
    assert rows == local
    assert any(r["duplicate_of"] for r in rows) and rows[-1]["status"] == "parse_error"
    top = gridscore.score(task, programs, device="cpu", top=12, predictions=4)
    assert distributed.score(task, programs, shards=3, top=12, predictions=4, device="cpu") == top
    # A candidates file travels as bytes (workers need not see it).
    path = ASSETS / "candidates.txt"
    assert distributed.score(task, path, device="cpu") == gridscore.score(task, path, device="cpu")


def test_a_worker_killed_mid_run_is_retried(cluster, tasks, programs):
    task = tasks["crop_turn"]
    local = gridscore.score(task, programs, device="cpu", top=50)
    killed = []

    def kill_one():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            pids = shard_workers()
            if pids:
                time.sleep(0.3)  # in the middle of its shard
                try:
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])
                except ProcessLookupError:
                    continue
            time.sleep(0.02)

    t = threading.Thread(target=kill_one)
    t.start()
    rows = distributed.score(task, programs, shards=4, top=50, device="cpu", max_retries=3)
    t.join()
    assert killed, "no shard worker was seen running"
    assert rows == local


def test_a_bad_task_raises_its_error_without_retries(cluster):
    bad = {"bad": {"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": []}}
    with pytest.raises(gridscore.TaskError, match="train\\[0\\].input, row 1"):
        distributed.search(bad, depth=1, device="cpu")
