"""Type stubs of the extension module (the Rust engine)."""

import os
from typing import Any, Iterable, Literal, Mapping, Optional, Sequence, Tuple, TypedDict, Union

__version__: str

Grid = Any  # list[list[int]] or a 2-D integer numpy array
Task = Mapping[str, Any]  # {"train": [{"input", "output"}], "test": [{"input", "output"?}], "id"?}
Candidates = Union[
    Sequence[str],
    Sequence[Tuple[Union[str, int], str]],
    str,
    "os.PathLike[str]",
    bytes,
]
Metric = Literal["tiered", "exact", "cells"]

class Row(TypedDict):
    """One candidate's row, exactly as in ``gridscore score --format jsonl``."""

    rank: Optional[int]
    id: str
    program: str
    status: Literal["ok", "parse_error", "not_run"]
    error: Optional[str]
    exact: int
    pairs: int
    score: int
    pair_scores: list[int]
    test_scores: list[Optional[int]]
    test_exact: Optional[int]
    hashes: list[str]
    duplicate_of: Optional[str]
    predictions: list[Optional[list[list[int]]]]  # only on the best rows
    ops: int
    index: int
    line: int
    task: str

class Attempt(TypedDict):
    attempt_1: list[list[int]]
    attempt_2: list[list[int]]

class ProgramScore(TypedDict):
    program: str
    stage: Literal["chain", "composition"]
    view: Literal["raw", "norm", "transposed", "normtransposed"]
    pieces: int
    exact: int
    score: int
    ops: int
    test_exact: int

class SearchResult(TypedDict):
    task: str
    attempts: list[Attempt]
    programs: list[ProgramScore]
    stats: dict[str, Any]

class GridscoreError(ValueError):
    """Base class of gridscore's errors; the message is the CLI's."""

class TaskError(GridscoreError):
    """A task (file, directory, combined file or dict) that cannot be read or is invalid."""

class CandidatesError(GridscoreError):
    """A candidates file that cannot be read (bad programs are rows, not errors)."""

class DeviceError(GridscoreError):
    """A device list that does not parse, or devices that cannot be opened."""

class EngineError(GridscoreError):
    """The work itself failed (every device, the CPU included)."""

class MergeError(GridscoreError):
    """Shard results that do not merge (a shard twice, or one missing)."""

def score(
    task: Task,
    candidates: Candidates,
    *,
    metric: Metric = "tiered",
    device: str = "auto",
    top: Optional[int] = None,
    deadline: Optional[float] = None,
    predictions: int = 10,
    threads: int = 0,
    task_id: Optional[str] = None,
    shard: Optional[Tuple[int, int]] = None,
) -> list[Row]:
    """Scores and ranks candidate programs on one ARC task.

    Returns one row per candidate in rank order, then those that did not
    parse (and any not run before ``deadline``) in input order: exactly the
    rows of ``gridscore score --format jsonl``. ``candidates`` are program
    strings, ``(id, program)`` pairs, the path of a candidates file, or the
    bytes of one. ``shard=(i, n)`` scores candidates i-1, i-1+n, ... only.
    """

def search(
    task: Task,
    *,
    depth: int = 2,
    time_limit: Optional[float] = None,
    device: str = "auto",
    metric: Metric = "tiered",
    max_states: int = 2_000_000,
    max_memory: int = 2048,
    last_depth: Literal["auto", "states", "backend"] = "auto",
    batch_size: int = 65536,
    first: bool = False,
    threads: int = 0,
    task_id: Optional[str] = None,
    compose: bool = True,
    normalize: bool = True,
    transpose: bool = False,
    thorough: bool = False,
    max_pieces: int = 20_000,
) -> SearchResult:
    """Searches programs of up to ``depth`` ops for one ARC task.

    ``attempts`` is exactly what ``gridscore search --out`` writes for the
    task, ``programs`` the programs behind them with their scores, ``stats``
    the task's ``gridscore search --report`` line.
    """

def load_tasks(
    path: Union[str, "os.PathLike[str]"],
    solutions: Optional[Union[str, "os.PathLike[str]"]] = None,
) -> dict[str, dict[str, Any]]:
    """Loads tasks from a task file, a directory or a combined file: {task_id: task}."""

def devices() -> dict[str, Any]:
    """The CPU and the GPU adapters, as ``gridscore devices --json`` prints them."""

def merge_rankings(
    shards: Iterable[Iterable[Mapping[str, Any]]],
    *,
    top: Optional[int] = None,
    predictions: int = 10,
) -> list[Row]:
    """Merges the rows of shards into exactly the rows of one run."""
