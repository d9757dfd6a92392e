"""The job-array recipes of docs/cluster.md run as written: the Slurm array
script and the Kubernetes Indexed Job's commands, on the asset tasks, merge
into exactly the files of one run."""

import json
import os
import subprocess

import yaml

from conftest import ASSETS, REPO

CLUSTER = REPO / "docs" / "cluster"


def env_with(cli, **extra):
    env = dict(os.environ)
    env["PATH"] = f"{cli.parent}{os.pathsep}{env['PATH']}"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def without_timings(path):
    lines = []
    for line in path.read_text().splitlines():
        v = json.loads(line)
        v.pop("wall_s")
        v.pop("peak_rss_bytes")
        for d in v["depths"]:
            d.pop("ms")
        lines.append(v)
    return lines


def single_run(run_cli, tmp_path):
    sub, rep = tmp_path / "single.json", tmp_path / "single.jsonl"
    run_cli("search", ASSETS / "tasks", "--depth", "1", "--quiet", "--out", sub, "--report", rep)
    return sub, rep


def test_the_slurm_array_merges_to_one_run(cli, run_cli, tmp_path):
    shards = tmp_path / "shards"
    for k in range(3):
        # An array 5-7: shard numbers still run 1..3.
        env = env_with(
            cli,
            SLURM_ARRAY_TASK_ID=5 + k,
            SLURM_ARRAY_TASK_MIN=5,
            SLURM_ARRAY_TASK_COUNT=3,
            SLURM_CPUS_PER_TASK=1,
            TASKS=ASSETS / "tasks",
            OUT=shards,
            DEPTH=1,
        )
        subprocess.run(["bash", CLUSTER / "slurm-search.sh"], env=env, cwd=tmp_path, check=True)
    assert sorted(p.name for p in shards.iterdir()) == [
        f"{kind}-{i}.{ext}" for kind, ext in (("report", "jsonl"), ("submission", "json")) for i in (1, 2, 3)
    ]
    subprocess.run(["bash", CLUSTER / "slurm-merge.sh"], env=env_with(cli, OUT=shards), cwd=tmp_path, check=True)
    sub, rep = single_run(run_cli, tmp_path)
    assert (tmp_path / "submission.json").read_bytes() == sub.read_bytes()
    assert without_timings(tmp_path / "report.jsonl") == without_timings(rep)


def test_the_kubernetes_indexed_job_merges_to_one_run(cli, run_cli, tmp_path):
    (search,) = yaml.safe_load_all((CLUSTER / "k8s-search-job.yaml").read_text())
    (merge,) = yaml.safe_load_all((CLUSTER / "k8s-merge-job.yaml").read_text())
    spec = search["spec"]
    assert spec["completionMode"] == "Indexed"
    container = spec["template"]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert int(env["SHARDS"]) == spec["completions"]
    out = tmp_path / "out"
    out.mkdir()
    # The volumes' paths and a shallow search, otherwise the pods' commands.
    env.update(TASKS=ASSETS / "tasks", OUT=out, DEPTH=1)
    for k in range(spec["completions"]):
        subprocess.run(
            [*container["command"], *container["args"]],
            env=env_with(cli, JOB_COMPLETION_INDEX=k, **env),
            cwd=tmp_path,
            check=True,
        )
    m = merge["spec"]["template"]["spec"]["containers"][0]
    subprocess.run([*m["command"], *m["args"]], env=env_with(cli, OUT=out), cwd=tmp_path, check=True)
    sub, rep = single_run(run_cli, tmp_path)
    assert (out / "submission.json").read_bytes() == sub.read_bytes()
    assert without_timings(out / "report.jsonl") == without_timings(rep)
