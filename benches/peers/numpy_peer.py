#!/usr/bin/env python3
"""A small, honest NumPy per-candidate scorer: the peer of `gridscore score`.

    python3 benches/peers/numpy_peer.py TASK.json CANDIDATES.txt [--out ROWS.jsonl]

It reads one task file ({"train": [...], "test": [...]}) and a candidates
file in gridscore's text form (one program per line, `NAME: program` gives
an id, blank and `#` lines skipped; JSON lines are not read), runs every
candidate on every pair with NumPy and scores it as docs/DSL.md says
(tiered metric: 1000 exact, 100 + 900*m/cells same size, 99*m/(He*We)
otherwise, 0 INVALID), then ranks the candidates like gridscore (more exact
pairs, higher score, fewer ops, earlier candidate) and writes one JSON row
per scored candidate in rank order, then the skipped ones in file order.

The ops it runs are those of language v1 without the region ops: the eight
symmetries, the five color ops (recolor, swap, map, keep, paint with digits
or bg/fg/lc) and the twelve layout ops (crop_bbox, trim, mirror_tile, hcat,
vcat, upscale, tile, downscale, split_h, split_v, crop, shift). A candidate
with any other op (or one that does not parse) is skipped and reported with
status "skipped": `run_peers.py` filters the programs to this subset before
giving the same file to both scorers.

Like gridscore, it evaluates each distinct program once (programs are keyed
by their whitespace-normalised text) and reuses the result for repeats.
"""

import argparse
import json
import sys
import time

import numpy as np

MAX = 30

GEOMETRY = {
    "id": lambda x: x,
    "rot90": lambda x: np.rot90(x, -1),
    "rot180": lambda x: np.rot90(x, 2),
    "rot270": lambda x: np.rot90(x, 1),
    "flip_h": lambda x: x[:, ::-1],
    "flip_v": lambda x: x[::-1, :],
    "transpose": lambda x: x.T,
    "antitranspose": lambda x: np.rot90(x, 2).T,
}


class Invalid(Exception):
    """The op's result is INVALID (a precondition fails or a size is out
    of 1..=30)."""


def color(tok, x):
    """A color argument: a digit, or bg / fg / lc evaluated on `x`."""
    if len(tok) == 1 and tok.isdigit():
        return int(tok)
    counts = np.bincount(x.ravel(), minlength=10)
    if tok == "bg":
        return int(np.argmax(counts))  # ties: the smallest color
    if tok == "fg":
        bg = int(np.argmax(counts))
        c = counts.copy()
        c[bg] = -1
        fg = int(np.argmax(c))
        return fg if counts[fg] > 0 else bg
    if tok == "lc":
        c = np.where(counts > 0, counts, np.iinfo(np.int64).max)
        return int(np.argmin(c))
    raise ValueError(f"bad color `{tok}`")


def parse_int(tok):
    if not tok or not (tok.lstrip("+-").isdigit()) or tok[0] in "+-" and len(tok) == 1:
        raise ValueError(f"bad integer `{tok}`")
    return int(tok)


def split(x, n, i, axis):
    size = x.shape[axis]
    if size % n == 0:
        part, sep = size // n, 0
    elif size >= n - 1 and (size - (n - 1)) % n == 0:
        part, sep = (size - (n - 1)) // n, 1
    else:
        raise Invalid
    if part == 0 or i >= n:
        raise Invalid
    start = i * (part + sep)
    return x[start : start + part, :] if axis == 0 else x[:, start : start + part]


def op_fn(name, args):
    """The function of one op with its arguments (raises ValueError for an
    op outside the subset or bad arguments)."""
    if name in GEOMETRY:
        if args:
            raise ValueError(f"{name} takes no arguments")
        return GEOMETRY[name]
    need = {
        "recolor": 2, "swap": 2, "keep": 2, "paint": 2, "map": 1, "crop_bbox": 1,
        "trim": 0, "mirror_tile": 0, "hcat": 1, "vcat": 1, "upscale": 2, "tile": 2,
        "downscale": 2, "split_h": 2, "split_v": 2, "crop": 4, "shift": 3,
    }
    if name not in need:
        raise ValueError(f"op `{name}` is not in the peer's subset")
    if len(args) != need[name]:
        raise ValueError(f"{name} takes {need[name]} arguments")
    if name in ("recolor", "swap", "keep", "paint"):
        ta, tb = args

        def f(x, name=name, ta=ta, tb=tb):
            a, b = color(ta, x), color(tb, x)
            if name == "recolor":
                return np.where(x == a, b, x).astype(np.uint8)
            if name == "swap":
                return np.where(x == a, b, np.where(x == b, a, x)).astype(np.uint8)
            if name == "keep":
                return np.where(x == a, x, b).astype(np.uint8)
            return np.where(x == b, x, a).astype(np.uint8)  # paint a b

        return f
    if name == "map":
        m = args[0]
        if len(m) != 10 or not m.isdigit():
            raise ValueError("map takes ten digits")
        table = np.array([int(ch) for ch in m], dtype=np.uint8)
        return lambda x: table[x]
    if name == "crop_bbox":
        tc = args[0]

        def f(x):
            rows, cols = np.nonzero(x != color(tc, x))
            if rows.size == 0:
                raise Invalid
            return x[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]

        return f
    if name == "trim":

        def f(x):
            if x.shape[0] < 3 or x.shape[1] < 3:
                raise Invalid
            return x[1:-1, 1:-1]

        return f
    if name == "mirror_tile":
        return lambda x: np.block([[x, x[:, ::-1]], [x[::-1, :], x[::-1, ::-1]]])
    if name in ("hcat", "vcat"):
        t = GEOMETRY.get(args[0])
        if t is None:
            raise ValueError(f"bad transform `{args[0]}`")
        if name == "hcat":

            def f(x):
                y = t(x)
                if y.shape[0] != x.shape[0]:
                    raise Invalid
                return np.concatenate([x, y], axis=1)

        else:

            def f(x):
                y = t(x)
                if y.shape[1] != x.shape[1]:
                    raise Invalid
                return np.concatenate([x, y], axis=0)

        return f
    if name == "shift":
        dy, dx = parse_int(args[0]), parse_int(args[1])
        tc = args[2]

        def f(x):
            H, W = x.shape
            out = np.full((H, W), color(tc, x), dtype=np.uint8)
            if abs(dy) < H and abs(dx) < W:
                out[max(dy, 0) : H + min(dy, 0), max(dx, 0) : W + min(dx, 0)] = x[
                    max(-dy, 0) : H - max(dy, 0), max(-dx, 0) : W - max(dx, 0)
                ]
            return out

        return f
    ints = [parse_int(a) for a in args]
    if name == "upscale":
        kh, kw = ints
        return lambda x: np.repeat(np.repeat(x, kh, axis=0), kw, axis=1)
    if name == "tile":
        rh, rw = ints
        return lambda x: np.tile(x, (rh, rw))
    if name == "downscale":
        kh, kw = ints

        def f(x):
            if x.shape[0] % kh or x.shape[1] % kw:
                raise Invalid
            return x[::kh, ::kw]

        return f
    if name in ("split_h", "split_v"):
        n, i = ints
        axis = 1 if name == "split_h" else 0
        return lambda x: split(x, n, i, axis)
    if name == "crop":
        r, c, h, w = ints

        def f(x):
            if r + h > x.shape[0] or c + w > x.shape[1]:
                raise Invalid
            return x[r : r + h, c : c + w]

        return f
    raise ValueError(f"op `{name}` is not in the peer's subset")


def parse_program(text):
    """A list of op functions, or ValueError."""
    text = text.strip()
    if not text:
        return []
    fns = []
    for part in text.split("|"):
        toks = part.split()
        if not toks:
            raise ValueError("empty op")
        fns.append(op_fn(toks[0], toks[1:]))
    if len(fns) > 16:
        raise ValueError("more than 16 ops")
    return fns


def run(fns, x):
    """The program's output on grid x, or None when INVALID."""
    try:
        for f in fns:
            x = f(x)
            if not (1 <= x.shape[0] <= MAX and 1 <= x.shape[1] <= MAX):
                return None
        return x
    except Invalid:
        return None


def pair_score(y, e):
    """Tiered score of output y (None = INVALID) against expected e."""
    if y is None:
        return 0, False
    He, We = e.shape
    h, w = min(y.shape[0], He), min(y.shape[1], We)
    m = int(np.count_nonzero(y[:h, :w] == e[:h, :w]))
    if y.shape == e.shape:
        if m == He * We:
            return 1000, True
        return 100 + 900 * m // (He * We), False
    return 99 * m // (He * We), False


def load_task(path):
    with open(path) as f:
        t = json.load(f)
    grid = lambda g: np.array(g, dtype=np.uint8)
    train = [(grid(p["input"]), grid(p["output"])) for p in t["train"]]
    test = [(grid(p["input"]), grid(p["output"]) if "output" in p else None) for p in t["test"]]
    return train, test


def read_candidates(path):
    """(index, line, id, program text) of each candidate line."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line_no, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            index = len(out)
            cid = str(index)
            if ":" in text:
                name, text = text.split(":", 1)
                cid, text = name.strip(), text.strip()
            out.append((index, line_no, cid, text))
    return out


def score_all(train, test, candidates):
    cache = {}
    rows, skipped = [], []
    for index, line, cid, text in candidates:
        key = " ".join(text.split())
        r = cache.get(key)
        if r is None:
            try:
                fns = parse_program(text)
            except ValueError as e:
                r = ("skipped", str(e))
            else:
                pair_scores, exact, score = [], 0, 0
                for x, e in train:
                    s, ex = pair_score(run(fns, x), e)
                    pair_scores.append(s)
                    score += s
                    exact += ex
                test_scores = []
                for x, e in test:
                    y = run(fns, x)
                    test_scores.append(None if e is None else pair_score(y, e)[0])
                r = ("ok", exact, score, pair_scores, test_scores, len(fns))
            cache[key] = r
        if r[0] == "skipped":
            skipped.append({"id": cid, "index": index, "line": line, "status": "skipped", "error": r[1]})
        else:
            _, exact, score, pair_scores, test_scores, ops = r
            rows.append(
                {
                    "id": cid,
                    "index": index,
                    "line": line,
                    "status": "ok",
                    "exact": exact,
                    "score": score,
                    "pair_scores": pair_scores,
                    "test_scores": test_scores,
                    "ops": ops,
                }
            )
    rows.sort(key=lambda r: (-r["exact"], -r["score"], r["ops"], r["index"]))
    for k, r in enumerate(rows):
        r["rank"] = k + 1
    distinct = sum(1 for r in cache.values() if r[0] == "ok")
    return rows, skipped, distinct


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("task")
    ap.add_argument("candidates")
    ap.add_argument("--out", help="write the rows here (JSON Lines)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    train, test = load_task(a.task)
    candidates = read_candidates(a.candidates)
    rows, skipped, distinct = score_all(train, test, candidates)
    if a.out:
        with open(a.out, "w") as f:
            for r in rows + skipped:
                f.write(json.dumps(r) + "\n")
    wall = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "candidates": len(candidates),
                "scored": len(rows),
                "skipped": len(skipped),
                "distinct": distinct,
                "evaluations": distinct * (len(train) + len(test)),
                "wall_s": wall,
            }
        ),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
