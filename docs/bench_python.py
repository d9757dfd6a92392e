"""Python overhead: gridscore.score on 10^5 candidates against the CLI doing
the same work (docs/python.md, "Overhead").

    cargo build --release && pip install .
    python docs/bench_python.py [--cli target/release/gridscore] [--reps 11]

Prints a Markdown table: per task, the median wall time of the CLI process
(`gridscore score TASK -c FILE --device cpu --format jsonl --out FILE`) and
of the Python call with the candidates as a list of strings and as a path.
"""

import argparse
import os
import statistics
import subprocess
import tempfile
import time

import gridscore

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASKS = [
    os.path.join(REPO, "assets", "tasks", "fill_rooms.json"),
    os.path.join(REPO, "..", "shared", "arc", "training", "007bbfb7.json"),
    os.path.join(REPO, "..", "shared", "arc", "training", "3631a71a.json"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(REPO, "target", "release", "gridscore"))
    ap.add_argument("--reps", type=int, default=11)
    ap.add_argument("--count", type=int, default=100_000)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp()
    cands = os.path.join(tmp, "candidates.txt")
    with open(cands, "w") as f:
        subprocess.run([a.cli, "random-programs", "-n", str(a.count), "--seed", "1"], stdout=f, check=True)
    programs = open(cands).read().splitlines()
    out = os.path.join(tmp, "rows.jsonl")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print("| task | CLI | Python, list of strings | Python, path |")
    print("|---|---|---|---|")
    for path in TASKS:
        if not os.path.exists(path):
            continue
        tid = os.path.splitext(os.path.basename(path))[0]
        task = gridscore.load_tasks(path)[tid]
        cli, py_list, py_path = [], [], []
        for _ in range(a.reps):
            t0 = time.perf_counter()
            subprocess.run([a.cli, "score", path, "-c", cands, "--device", "cpu", "--format", "jsonl", "--out", out], check=True)
            cli.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            rows = gridscore.score(task, programs, device="cpu")
            py_list.append(time.perf_counter() - t0)
            assert len(rows) == a.count
            del rows
            t0 = time.perf_counter()
            rows = gridscore.score(task, cands, device="cpu")
            py_path.append(time.perf_counter() - t0)
            del rows
        c, l, p = (statistics.median(x) for x in (cli, py_list, py_path))
        print(f"| {tid} | {c:.3f} s | {l:.3f} s ({l / c - 1:+.1%}) | {p:.3f} s ({p / c - 1:+.1%}) |")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
