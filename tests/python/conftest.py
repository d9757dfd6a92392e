"""Fixtures of the Python tests: the repository, the `gridscore` CLI to
compare with (built by `cargo test`/`cargo build`; GRIDSCORE_BIN overrides),
helpers that run it."""

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ASSETS = REPO / "assets"


def _cli_path() -> Path:
    if os.environ.get("GRIDSCORE_BIN"):
        return Path(os.environ["GRIDSCORE_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "debug" / "gridscore"


@pytest.fixture(scope="session")
def cli() -> Path:
    path = _cli_path()
    if not path.exists():
        # Not built yet (the README's `cargo test` builds it): build it.
        subprocess.run(
            ["cargo", "build", "--locked", "--bin", "gridscore"], cwd=REPO, check=True
        )
    assert path.exists(), f"no gridscore binary at {path}"
    return path


@pytest.fixture(scope="session")
def run_cli(cli):
    def run(*args, check=True):
        p = subprocess.run(
            [str(cli), *map(str, args)], cwd=REPO, capture_output=True, text=True
        )
        if check and p.returncode != 0:
            raise AssertionError(f"gridscore {args} failed: {p.stderr}")
        return p

    return run


def jsonl(rows) -> str:
    """Rows as the CLI writes them (serde_json's compact form)."""
    return "".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows
    )


@pytest.fixture(scope="session")
def tasks():
    import gridscore

    return gridscore.load_tasks(ASSETS / "tasks")
