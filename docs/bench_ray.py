"""Ray on one machine against the CLI (docs/cluster.md, "Measurements"):
`gridscore search TASKS --depth D` then `distributed.search(TASKS,
depth=D)` on a local Ray with 2 CPUs (one CPU per Ray task), and the
per-task overhead at depth 0 (no search work).

    cargo build --release && pip install '.[ray]'
    python docs/bench_ray.py [../shared/arc/training] [--depth 2] [--cpus 2]
"""

import argparse
import json
import os
import subprocess
import tempfile
import time

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # loopback only
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tasks", nargs="?", default=os.path.join(REPO, "..", "shared", "arc", "training"))
    ap.add_argument("--cli", default=os.path.join(REPO, "target", "release", "gridscore"))
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--cpus", type=int, default=2)
    a = ap.parse_args()
    out = os.path.join(tempfile.mkdtemp(), "cli.json")
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    t0 = time.perf_counter()
    subprocess.run([a.cli, "search", a.tasks, "--depth", str(a.depth), "--device", "cpu", "--quiet", "--out", out], check=True)
    cli = time.perf_counter() - t0
    print(f"CLI: {cli:.1f} s", flush=True)

    import ray

    import gridscore
    from gridscore import distributed

    t0 = time.perf_counter()
    ray.init(num_cpus=a.cpus, include_dashboard=False, logging_level="WARNING")
    t1 = time.perf_counter()
    sub = distributed.search(a.tasks, depth=a.depth, device="cpu")
    t2 = time.perf_counter()
    same = json.dumps(sub, separators=(",", ":")) == open(out).read()
    print(f"Ray: ray.init {t1 - t0:.1f} s, distributed.search {t2 - t1:.1f} s ({(t2 - t1) / cli:.2f} x the CLI), "
          f"with ray.init {t2 - t0:.1f} s ({(t2 - t0) / cli:.2f} x); submission identical to the CLI's: {same}")
    tasks = gridscore.load_tasks(a.tasks)
    for _ in range(3):
        t3 = time.perf_counter()
        distributed.search(tasks, depth=0, device="cpu")
        d0 = time.perf_counter() - t3
        print(f"overhead: depth 0, {len(tasks)} Ray tasks in {d0:.2f} s ({d0 / len(tasks) * 1000:.1f} ms per task)")
    ray.shutdown()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
