#!/usr/bin/env python3
"""gridscore against the NumPy peer, whole process, same tasks and programs.

    cargo build --release
    pip install numpy
    python3 benches/peers/run_peers.py [--gridscore target/release/gridscore]
        [-n 1000000] [--seed 1] [--tasks assets/tasks/fill_rooms.json ...]
        [--peer-sample N] [--device cpu] [--reps 3]

1. Draws `n` programs with `gridscore random-programs --seed SEED -n N --v1`
   and keeps those whose ops are all in the peer's subset (v1 without the
   six region ops; see numpy_peer.py): the same file goes to both scorers.
2. For each task, runs `gridscore score TASK -c FILE --device DEVICE
   --format jsonl --out ROWS` (median wall time of `reps` runs) and
   `python3 numpy_peer.py TASK FILE --out ROWS` (one run: the peer takes
   about a minute per 10^5 distinct programs), each timed as a whole
   process (start to exit: reading, parsing, scoring, ranking, writing).
   Both get the same file; `--peer-sample N` gives the peer only the first
   N programs (and times gridscore on the same N), for a quicker run.
3. Checks that the peer and gridscore agree on every program the peer ran:
   same exact pairs, score, pair scores and test scores per id, and the same
   ranking (the run fails with exit status 1 on any difference).
4. Prints a Markdown table: per task, programs per second of each scorer
   (whole process) and the ratio.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
REGION_OPS = {"object", "gravity", "fill_enclosed", "halo", "halves_h", "halves_v"}


def timed(cmd):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.decode(errors='replace')}")
    return wall


def rows_by_id(path):
    out = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            out[r["id"]] = r
    return out


def compare(gs_path, peer_path):
    """Differences between gridscore's rows and the peer's (a list of
    strings; empty when they agree)."""
    gs, peer = rows_by_id(gs_path), rows_by_id(peer_path)
    diffs = []
    for cid, p in peer.items():
        g = gs.get(cid)
        if g is None:
            diffs.append(f"{cid}: not in gridscore's rows")
            continue
        if p["status"] != "ok" or g["status"] != "ok":
            diffs.append(f"{cid}: status peer {p['status']} gridscore {g['status']}")
            continue
        for k in ("exact", "score", "pair_scores", "test_scores", "ops", "rank"):
            if p[k] != g[k]:
                diffs.append(f"{cid} ({g['program']}): {k} peer {p[k]} gridscore {g[k]}")
    if len(gs) != len(peer):
        diffs.append(f"gridscore has {len(gs)} rows, the peer {len(peer)}")
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gridscore", default=os.path.join(REPO, "target", "release", "gridscore"))
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tasks", nargs="+", default=[os.path.join(REPO, "assets", "tasks", "fill_rooms.json")])
    ap.add_argument("--peer-sample", type=int, default=0, help="0: the whole file")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    gs = a.gridscore
    with tempfile.TemporaryDirectory() as tmp:
        raw = subprocess.run(
            [gs, "random-programs", "--seed", str(a.seed), "-n", str(a.n), "--v1"],
            check=True, stdout=subprocess.PIPE,
        ).stdout.decode()
        kept = [l for l in raw.splitlines() if not {p.split()[0] for p in l.split("|")} & REGION_OPS]
        if a.peer_sample > 0:
            kept = kept[: a.peer_sample]
        full = os.path.join(tmp, "programs.txt")
        with open(full, "w") as f:
            f.write("\n".join(kept) + "\n")
        print(f"{len(kept)} programs of {a.n} drawn use only the peer's ops; both scorers get these")
        print()
        print("| task | programs | gridscore wall (s) | programs/s | NumPy peer wall (s) | programs/s | ratio |")
        print("|---|---|---|---|---|---|---|")
        failed = False
        for task in a.tasks:
            name = os.path.basename(task)
            gs_rows = os.path.join(tmp, "gs.jsonl")
            walls = [
                timed([gs, "score", task, "-c", full, "--device", a.device, "--format", "jsonl", "--out", gs_rows])
                for _ in range(max(1, a.reps))
            ]
            gs_wall = statistics.median(walls)
            peer_rows = os.path.join(tmp, "peer.jsonl")
            peer_wall = timed([sys.executable, os.path.join(HERE, "numpy_peer.py"), task, full, "--out", peer_rows])
            diffs = compare(gs_rows, peer_rows)
            if diffs:
                failed = True
                print(f"{name}: {len(diffs)} differences, first: " + "; ".join(diffs[:5]), file=sys.stderr)
            n = len(kept)
            print(
                f"| {name} | {n} | {gs_wall:.2f} | {n / gs_wall:,.0f} | {peer_wall:.2f} | {n / peer_wall:,.0f} | **{peer_wall / gs_wall:.0f}x** |"
            )
        print()
        print("agreement: " + ("FAILED (see stderr)" if failed else "the peer's scores, pair scores, test scores and ranks equal gridscore's on every program it ran"))
        sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
