"""gridscore: score and search ARC-AGI candidate grid programs.

The Rust engine of the ``gridscore`` CLI as a Python module (see
``docs/python.md``)::

    import gridscore
    tasks = gridscore.load_tasks("assets/tasks")
    rows = gridscore.score(tasks["mirror"], ["flip_h", "rot90 | flip_v"])
    result = gridscore.search(tasks["mirror"], depth=2)

- :func:`score` ranks candidate programs on a task; its rows are exactly
  those of ``gridscore score --format jsonl``.
- :func:`search` enumerates programs and returns the task's ARC Prize
  attempts, exactly as ``gridscore search --out`` writes them.
- :func:`load_tasks` reads task files, directories and combined files.
- :func:`devices` lists the CPU and the GPU adapters.
- :func:`merge_rankings` joins the rows of shards (``shard=(i, n)``).
- :mod:`gridscore.distributed` runs search and score on a Ray cluster.

Errors are :class:`GridscoreError` subclasses (all ``ValueError``) with the
CLI's messages. The GIL is released while the engine runs, and Ctrl-C
raises ``KeyboardInterrupt``.
"""

import os as _os
import sys as _sys


def _quiet_headless_vulkan() -> None:
    # Mesa's Vulkan drivers print "XDG_RUNTIME_DIR is invalid or not set"
    # on headless machines when they probe for Wayland; like the CLI, give
    # them a private runtime directory when none is set.
    if not _sys.platform.startswith("linux") or _os.environ.get("XDG_RUNTIME_DIR"):
        return
    import stat
    import tempfile

    uid = _os.getuid()
    path = _os.path.join(tempfile.gettempdir(), f"gridscore-runtime-{uid}")
    try:
        _os.makedirs(path, mode=0o700, exist_ok=True)
        st = _os.stat(path)
    except OSError:
        return
    if stat.S_ISDIR(st.st_mode) and st.st_uid == uid and st.st_mode & 0o077 == 0:
        _os.environ["XDG_RUNTIME_DIR"] = path


_quiet_headless_vulkan()

from ._gridscore import (  # noqa: E402
    CandidatesError,
    DeviceError,
    EngineError,
    GridscoreError,
    MergeError,
    TaskError,
    __version__,
    devices,
    load_tasks,
    merge_rankings,
    score,
    search,
)
from . import distributed  # noqa: E402

__all__ = [
    "score",
    "search",
    "load_tasks",
    "devices",
    "merge_rankings",
    "distributed",
    "GridscoreError",
    "TaskError",
    "CandidatesError",
    "DeviceError",
    "EngineError",
    "MergeError",
    "__version__",
]
