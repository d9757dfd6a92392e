"""gridscore on a Ray cluster: :func:`search` over many tasks and
:func:`score` over many candidates, with exactly the results of a local run.

Needs Ray (``pip install 'gridscore[ray]'``). Every node must have
``gridscore`` installed in the same Python environment. Each piece of work
is a Ray task that asks for ``num_cpus`` CPUs and ``num_gpus`` GPUs, so
GPU nodes take GPU work when ``num_gpus`` is set; a task whose worker or
node dies is retried (``max_retries``) on another. See ``docs/cluster.md``.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import gridscore

__all__ = ["search", "score"]

PathLike = Union[str, "os.PathLike[str]"]


def _ray():
    try:
        import ray
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ImportError(
            "gridscore.distributed needs Ray: pip install 'gridscore[ray]'"
        ) from e
    return ray


def _connect(ray, address: Optional[str]) -> None:
    """Connects to `address` (or RAY_ADDRESS, or a new local cluster) unless
    this process is already connected."""
    if not ray.is_initialized():
        ray.init(address=address, logging_level="WARNING", configure_logging=False)


def _limit_threads(threads: int) -> None:
    # The search's enumeration runs on the process-wide rayon pool, sized
    # when first used: keep it to the CPUs the Ray task asked for.
    os.environ.setdefault("RAYON_NUM_THREADS", str(threads))


def _search_task(task: Mapping[str, Any], options: Dict[str, Any], threads: int):
    _limit_threads(threads)
    result = gridscore.search(task, threads=threads, **options)
    return result["task"], result["attempts"]


def _score_shard(
    task: Mapping[str, Any],
    candidates: Any,
    shard: int,
    shards: int,
    options: Dict[str, Any],
    threads: int,
):
    _limit_threads(threads)
    return gridscore.score(task, candidates, shard=(shard, shards), threads=threads, **options)


def _remote(ray, fn, num_cpus: float, num_gpus: float, max_retries: int):
    return (
        ray.remote(fn)
        .options(
            num_cpus=num_cpus,
            num_gpus=num_gpus,
            max_retries=max_retries,
            # A gridscore error (a bad task) is deterministic: not retried.
            retry_exceptions=False,
        )
    )


def _gather(ray, refs: List[Any]) -> List[Any]:
    try:
        return ray.get(refs)
    except KeyboardInterrupt:
        for r in refs:
            ray.cancel(r, force=True)
        raise


def _threads(num_cpus: float) -> int:
    return max(1, int(num_cpus))


def search(
    tasks: Union[Mapping[str, Mapping[str, Any]], PathLike],
    *,
    depth: int = 2,
    time_limit: Optional[float] = None,
    address: Optional[str] = None,
    num_cpus: float = 1,
    num_gpus: float = 0,
    device: str = "auto",
    max_retries: int = 3,
    **options: Any,
) -> Dict[str, List[Dict[str, Any]]]:
    """Searches every task on the cluster, one Ray task per ARC task.

    Returns the full ARC Prize submission ``{task_id: attempts}`` in the
    order of ``tasks``: for the tasks of a directory or combined file,
    exactly what ``gridscore search --out`` writes (``json.dumps(result,
    separators=(",", ":"))`` gives its bytes).

    tasks: ``{task_id: task}`` (as :func:`gridscore.load_tasks` returns), or
        a path that the driver loads.
    depth, time_limit, device, options: as :func:`gridscore.search`
        (``time_limit`` is per task).
    address: the Ray cluster (``"auto"``, ``"ray://host:10001"``, ...);
        ``None`` uses ``RAY_ADDRESS`` or starts a local cluster. An existing
        connection of this process is reused.
    num_cpus, num_gpus: resources of each Ray task (the engine uses that
        many CPU threads; ``num_gpus`` > 0 sends the work to GPU nodes).
    max_retries: how often a task whose worker or node died is retried.
    """
    ray = _ray()
    if not isinstance(tasks, Mapping):
        tasks = gridscore.load_tasks(tasks)
    _connect(ray, address)
    opts = dict(options, depth=depth, time_limit=time_limit, device=device)
    fn = _remote(ray, _search_task, num_cpus, num_gpus, max_retries)
    ids = list(tasks)
    threads = _threads(num_cpus)
    refs = [fn.remote(dict(tasks[i], id=i), opts, threads) for i in ids]
    results = dict(_gather(ray, refs))
    return {i: results[i] for i in ids}


def score(
    task: Mapping[str, Any],
    candidates: Union[Sequence[Any], PathLike, bytes],
    *,
    top: Optional[int] = None,
    metric: str = "tiered",
    predictions: int = 10,
    deadline: Optional[float] = None,
    shards: Optional[int] = None,
    address: Optional[str] = None,
    num_cpus: float = 1,
    num_gpus: float = 0,
    device: str = "auto",
    max_retries: int = 3,
    task_id: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """Scores candidates on one task across the cluster.

    The candidates are dealt into ``shards`` parts by index (candidate k goes
    to shard k mod shards), each part scored by one Ray task
    (``gridscore.score(..., shard=(i, shards))``), and the rows merged by
    :func:`gridscore.merge_rankings`: the result equals
    ``gridscore.score(task, candidates, top=top, ...)`` row for row.

    shards: number of parts; default: the cluster's CPUs / ``num_cpus``
        (at least 1, at most one per candidate).
    deadline: applies to each shard from its start (shards that hit it
        report ``not_run`` rows, and the result then differs from a local
        run).
    Other arguments as :func:`search` and :func:`gridscore.score`.
    """
    ray = _ray()
    if isinstance(candidates, (str, os.PathLike)):
        # Workers may not see the driver's files: ship the file's bytes,
        # which score() reads exactly as the file.
        with open(candidates, "rb") as f:
            candidates = f.read()
    elif not isinstance(candidates, (bytes, list)):
        candidates = list(candidates)
    _connect(ray, address)
    if shards is None:
        cpus = ray.cluster_resources().get("CPU", 1)
        shards = max(1, int(cpus // max(num_cpus, 1e-9)))
    if isinstance(candidates, list):
        shards = min(shards, max(1, len(candidates)))
    shards = max(1, int(shards))
    task_ref = ray.put(dict(task, id=task_id or task.get("id", "task")))
    cand_ref = ray.put(candidates)
    opts = dict(metric=metric, predictions=predictions, deadline=deadline, device=device, top=top)
    fn = _remote(ray, _score_shard, num_cpus, num_gpus, max_retries)
    threads = _threads(num_cpus)
    refs = [fn.remote(task_ref, cand_ref, i, shards, opts, threads) for i in range(1, shards + 1)]
    parts = _gather(ray, refs)
    return gridscore.merge_rankings(parts, top=top, predictions=predictions)
