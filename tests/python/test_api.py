"""gridscore's Python API against the CLI on the bundled assets: the same
rows, attempts and messages; numpy and list inputs; the GIL and Ctrl-C."""

import json
import os
import signal
import threading
import time

import numpy as np
import pytest

import gridscore
from conftest import ASSETS, jsonl

TASK_FILES = sorted((ASSETS / "tasks").glob("*.json"))
CANDIDATES = ASSETS / "candidates.txt"


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.stem)
def test_rows_equal_the_cli_jsonl_on_every_asset_task(path, run_cli, tasks):
    out = run_cli("score", path, "-c", CANDIDATES, "--device", "cpu", "--format", "jsonl")
    rows = gridscore.score(tasks[path.stem], CANDIDATES, device="cpu")
    assert len(rows) == len(out.stdout.splitlines())
    assert jsonl(rows) == out.stdout  # same fields, order and values
    statuses = {r["status"] for r in rows}
    assert {"ok", "parse_error"} <= statuses  # parse errors included


def test_options_give_the_cli_rows(run_cli, tasks):
    path = ASSETS / "tasks" / "recolor_upscale.json"
    for args, kw in [
        (["--top", "5", "--predictions", "2"], dict(top=5, predictions=2)),
        (["--metric", "cells"], dict(metric="cells")),
        (["--metric", "exact", "--top", "40"], dict(metric="exact", top=40)),
        (["--predictions", "0"], dict(predictions=0)),
    ]:
        out = run_cli("score", path, "-c", CANDIDATES, "--device", "cpu", "--format", "jsonl", *args)
        rows = gridscore.score(tasks["recolor_upscale"], str(CANDIDATES), device="cpu", **kw)
        assert jsonl(rows) == out.stdout, args


def test_list_and_pair_candidates_are_a_candidates_file(tmp_path, run_cli, tasks):
    programs = ["flip_h", "rot90 | flip_v", "flip_hh", "  flip_h ", "upscale 0 1", "trim", "flip_h"]
    pairs = [("mine", "rot180"), (7, "flip_v"), ["list", "bogus 3"]]
    f = tmp_path / "c.txt"
    f.write_text("".join(p.strip() + "\n" for p in programs) + "".join(f"{i}: {p}\n" for i, p in pairs))
    out = run_cli("score", ASSETS / "tasks" / "mirror.json", "-c", f, "--device", "cpu", "--format", "jsonl")
    rows = gridscore.score(tasks["mirror"], programs + pairs, device="cpu")
    assert jsonl(rows) == out.stdout
    assert rows[0]["program"] == "flip_h" and rows[0]["id"] == "0"
    assert any(r["duplicate_of"] == "0" for r in rows)
    bad = [r for r in rows if r["status"] == "parse_error"]
    assert [r["id"] for r in bad] == ["2", "4", "list"]
    assert bad[0]["error"].startswith("line 3: op 1: unknown op `flip_hh`")
    # Bytes of a file and os.PathLike read as the file.
    assert gridscore.score(tasks["mirror"], f.read_bytes(), device="cpu") == rows
    assert gridscore.score(tasks["mirror"], f, device="cpu") == rows
    # Any iterable, numpy strings included.
    assert gridscore.score(tasks["mirror"], iter(programs + pairs), device="cpu") == rows
    assert gridscore.score(tasks["mirror"], np.array(programs), device="cpu") == gridscore.score(
        tasks["mirror"], programs, device="cpu"
    )


def test_numpy_grids_equal_lists(tasks):
    task = tasks["kaleidoscope"]
    for dtype in (np.int64, np.int32, np.uint8):
        as_np = {
            "id": task["id"],
            "train": [
                {"input": np.array(p["input"], dtype=dtype), "output": np.array(p["output"], dtype=dtype)}
                for p in task["train"]
            ],
            "test": [{k: np.array(v, dtype=dtype) for k, v in p.items()} for p in task["test"]],
        }
        progs = ["flip_h", "rot90", "upscale 2 2"]
        assert gridscore.score(as_np, progs, device="cpu") == gridscore.score(task, progs, device="cpu")
    # The id: task_id, else the dict's "id", else "task".
    plain = {"train": task["train"], "test": task["test"]}
    assert gridscore.score(plain, ["rot90"])[0]["task"] == "task"
    assert gridscore.score(plain, ["rot90"], task_id="k")[0]["task"] == "k"


def test_errors_are_value_errors_with_the_cli_messages(tmp_path, run_cli, tasks):
    bad = tmp_path / "bad.json"
    bad.write_text('{"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": []}')
    cli = run_cli("score", bad, "-c", CANDIDATES, check=False)
    assert cli.returncode == 2
    with pytest.raises(gridscore.TaskError) as e:
        gridscore.load_tasks(bad)
    assert "gridscore: " + str(e.value) == cli.stderr.strip()
    assert isinstance(e.value, ValueError) and isinstance(e.value, gridscore.GridscoreError)
    # The same problem in a dict: the same message, the dict named <task>.
    with pytest.raises(gridscore.TaskError) as e2:
        gridscore.score(json.loads(bad.read_text()), ["rot90"], task_id="bad")
    assert str(e2.value) == str(e.value).replace(str(bad), "<task>")
    assert "train[0].input, row 1" in str(e2.value)
    # Without an id the dict is just <task>.
    with pytest.raises(gridscore.TaskError) as e3:
        gridscore.score(json.loads(bad.read_text()), ["rot90"])
    assert str(e3.value).startswith("<task>: train[0].input, row 1"), str(e3.value)
    with pytest.raises(gridscore.TaskError, match="the task has no train pairs"):
        gridscore.score({"train": [], "test": []}, ["rot90"])
    with pytest.raises(gridscore.TaskError, match="no such file|No such file"):
        gridscore.load_tasks(tmp_path / "missing.json")
    # A missing candidates file.
    cli = run_cli("score", ASSETS / "tasks" / "mirror.json", "-c", tmp_path / "none.txt", check=False)
    with pytest.raises(gridscore.CandidatesError) as e:
        gridscore.score(tasks["mirror"], tmp_path / "none.txt")
    assert "gridscore: " + str(e.value) == cli.stderr.strip()
    # Devices, metric, depth, deadline, shard.
    cli = run_cli("score", ASSETS / "tasks" / "mirror.json", "-c", CANDIDATES, "--device", "tpu", check=False)
    with pytest.raises(gridscore.DeviceError) as e:
        gridscore.score(tasks["mirror"], ["rot90"], device="tpu")
    assert str(e.value) in cli.stderr
    assert str(e.value) == "unknown device `tpu` (expected auto, cpu, gpu, all, or a comma list such as cpu,gpu)"
    with pytest.raises(gridscore.GridscoreError, match="unknown metric `best`"):
        gridscore.score(tasks["mirror"], ["rot90"], metric="best")
    with pytest.raises(gridscore.GridscoreError, match="deadline must be a number of seconds >= 0"):
        gridscore.score(tasks["mirror"], ["rot90"], deadline=-1)
    with pytest.raises(gridscore.GridscoreError, match="shard 4/3: I must be between 1 and N"):
        gridscore.score(tasks["mirror"], ["rot90"], shard=(4, 3))
    with pytest.raises(gridscore.GridscoreError, match="invalid value '17' for 'depth"):
        gridscore.search(tasks["mirror"], depth=17)
    with pytest.raises(gridscore.GridscoreError, match="invalid value 'sometimes' for 'last_depth"):
        gridscore.search(tasks["mirror"], last_depth="sometimes")
    with pytest.raises(gridscore.DeviceError):
        gridscore.search(tasks["mirror"], device="tpu")
    with pytest.raises(TypeError, match="candidate 1: expected a program string or an"):
        gridscore.score(tasks["mirror"], ["rot90", 3])
    with pytest.raises(gridscore.TaskError, match="expected a task: a JSON object with `train` and `test`"):
        gridscore.score("not a task", ["rot90"])
    with pytest.raises(TypeError, match="cannot use a object here"):
        gridscore.score({"train": [{"input": object()}]}, ["rot90"])


def test_search_attempts_equal_the_cli_submission(tmp_path, run_cli, tasks):
    out, report = tmp_path / "sub.json", tmp_path / "report.jsonl"
    run_cli("search", ASSETS / "tasks", "--depth", "1", "--device", "cpu", "--quiet", "--out", out, "--report", report)
    results = {i: gridscore.search(t, depth=1, device="cpu") for i, t in tasks.items()}
    submission = {i: r["attempts"] for i, r in results.items()}
    assert json.dumps(submission, separators=(",", ":")) == out.read_text()
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    for line in lines:
        r = results[line["task"]]
        assert r["task"] == line["task"]
        assert r["programs"] == line["program_scores"]
        stats = dict(r["stats"])
        for d in (stats, line):
            d.pop("wall_s")
            d.pop("peak_rss_bytes")  # of the process: Python's, the CLI's
            for depth in d["depths"]:
                depth.pop("ms")
        assert stats == line
    assert sum(r["stats"]["solved_train"] for r in results.values()) >= 5


def test_search_at_depth_two_solves_a_two_op_task(run_cli, tmp_path, tasks):
    out = tmp_path / "sub.json"
    path = ASSETS / "tasks" / "recolor_upscale.json"
    run_cli("search", path, "--device", "cpu", "--quiet", "--out", out)
    r = gridscore.search(tasks["recolor_upscale"], device="cpu", first=False)
    assert json.dumps({"recolor_upscale": r["attempts"]}, separators=(",", ":")) == out.read_text()
    assert r["stats"]["solved_train"] and r["stats"]["test_correct"]
    assert r["programs"][0]["exact"] == len(tasks["recolor_upscale"]["train"])


def test_load_tasks_reads_files_directories_and_combined_files(tmp_path):
    by_dir = gridscore.load_tasks(ASSETS / "tasks")
    assert list(by_dir) == sorted(by_dir) and len(by_dir) == 9
    one = gridscore.load_tasks(str(ASSETS / "tasks" / "mirror.json"))
    assert one == {"mirror": by_dir["mirror"]}
    assert list(by_dir["mirror"]) == ["id", "train", "test"]
    # A combined file without test outputs, and a solutions file.
    challenges = {i: {"train": t["train"], "test": [{"input": p["input"]} for p in t["test"]]} for i, t in by_dir.items()}
    solutions = {i: [p["output"] for p in t["test"]] for i, t in by_dir.items()}
    (tmp_path / "c.json").write_text(json.dumps(challenges))
    (tmp_path / "s.json").write_text(json.dumps(solutions))
    assert gridscore.load_tasks(tmp_path / "c.json", tmp_path / "s.json") == by_dir
    bare = gridscore.load_tasks(tmp_path / "c.json")
    assert "output" not in bare["mirror"]["test"][0]


def test_devices_are_the_cli_report(run_cli):
    cli = json.loads(run_cli("devices", "--json").stdout)
    d = gridscore.devices()
    assert set(d) == {"cpu", "adapters"}
    assert d["cpu"]["threads"] == cli["cpu"]["threads"]
    assert [a["name"] for a in d["adapters"]] == [a["name"] for a in cli["adapters"]]


def test_shards_merge_to_the_full_ranking(run_cli, tasks):
    progs = run_cli("random-programs", "-n", "3000", "--max-ops", "2", "--seed", "5").stdout.splitlines()
    progs += ["flip_hh", "flip_h"]
    task = tasks["fill_rooms"]
    full = gridscore.score(task, progs, device="cpu")
    parts = [gridscore.score(task, progs, device="cpu", shard=(i, 3)) for i in (1, 2, 3)]
    assert sorted(len(p) for p in parts) == [1000, 1001, 1001]
    assert gridscore.merge_rankings(parts[::-1]) == full
    top = gridscore.score(task, progs, device="cpu", top=7, predictions=3)
    parts = [gridscore.score(task, progs, device="cpu", top=7, predictions=3, shard=(i, 3)) for i in (1, 2, 3)]
    assert gridscore.merge_rankings(parts, top=7, predictions=3) == top
    with pytest.raises(gridscore.MergeError, match="is a shard missing"):
        gridscore.merge_rankings(parts[:2])
    with pytest.raises(gridscore.MergeError, match="was a shard given twice"):
        gridscore.merge_rankings([parts[0], parts[0]], top=7)


@pytest.fixture(scope="module")
def big_batch(run_cli, tasks):
    """A batch (as candidates-file bytes) that keeps the engine busy for
    about 8 s, whatever the build (debug or release) and machine."""

    def gen(n):
        return run_cli("random-programs", "-n", n, "--max-ops", "4", "--seed", "9").stdout.encode()

    probe = gen(50_000)
    t0 = time.perf_counter()
    gridscore.score(tasks["fill_rooms"], probe, device="cpu", top=3)
    rate = 50_000 / (time.perf_counter() - t0)
    return gen(int(min(max(rate * 8, 200_000), 5_000_000)))


def test_the_gil_is_released_while_the_engine_runs(tasks, big_batch):
    done = {}

    def work():
        t0 = time.perf_counter()
        done["rows"] = gridscore.score(tasks["fill_rooms"], big_batch[: len(big_batch) // 4], device="cpu", top=3)
        done["s"] = time.perf_counter() - t0

    t = threading.Thread(target=work)
    ticks = 0
    t0 = time.perf_counter()
    t.start()
    while t.is_alive():
        ticks += 1  # Python code running beside the engine
        time.sleep(0.005)
    t.join()
    elapsed = time.perf_counter() - t0
    # The batch is cut mid-line: its last line is a parse error, listed
    # after the 3 best whatever `top` is.
    ok = [r for r in done["rows"] if r["status"] == "ok"]
    assert len(ok) == 3 and done["s"] > 0.3, done
    # Held, the GIL would have allowed a tick or two in all.
    assert ticks >= 0.3 * elapsed / 0.005, (ticks, elapsed)


def test_ctrl_c_raises_keyboard_interrupt_within_a_second_and_stops_the_engine(tasks, big_batch):
    fired = {}

    def interrupt():
        fired["t"] = time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(1.0, interrupt)
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        gridscore.score(tasks["fill_rooms"], big_batch, device="cpu")
    raised = time.perf_counter()
    timer.join()
    assert "t" in fired
    assert raised - fired["t"] < 1.0, raised - fired["t"]
    # Well before the batch could have ended (it takes several seconds).
    assert raised - t0 < 2.5
    # The cancelled run stops: the process is nearly idle afterwards.
    time.sleep(0.5)
    c0, w0 = time.process_time(), time.perf_counter()
    time.sleep(1.0)
    assert time.process_time() - c0 < 0.3 * (time.perf_counter() - w0)
    # And the module still works.
    assert gridscore.score(tasks["mirror"], ["flip_h"])[0]["exact"] == 3


def test_search_v2_options_are_the_cli_flags(tmp_path, run_cli, tasks):
    # compose / normalize / transpose / thorough / max_pieces are the CLI's
    # --no-compose, --no-normalize, --transpose, --thorough, --max-pieces.
    out = tmp_path / "sub.json"
    run_cli("search", ASSETS / "tasks" / "biggest_thing.json", "--depth", "1", "--device", "cpu", "--quiet",
            "--no-compose", "--no-normalize", "--transpose", "--thorough", "--max-pieces", "10", "--out", out)
    r = gridscore.search(tasks["biggest_thing"], depth=1, device="cpu", compose=False, normalize=False,
                         transpose=True, thorough=True, max_pieces=10)
    assert json.dumps({"biggest_thing": r["attempts"]}, separators=(",", ":")) == out.read_text()
    assert all(p["stage"] == "chain" for p in r["programs"])
    assert {d["view"] for d in r["stats"]["depths"]} == {"raw", "transposed"}
