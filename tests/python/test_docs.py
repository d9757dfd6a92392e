"""The notebook session of docs/python.md runs and prints what the page
says it prints."""

import contextlib
import io
import os
import re

from conftest import REPO


def test_the_notebook_session_prints_what_the_page_shows(tmp_path, monkeypatch):
    text = (REPO / "docs" / "python.md").read_text()
    session = re.search(r"## A notebook session\n\n```python\n(.*?)```", text, re.S)
    printed = re.search(r"It prints\n\n```text\n(.*?)```", text, re.S)
    assert session and printed
    code = session.group(1).replace('"assets/tasks"', repr(str(REPO / "assets" / "tasks")))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/python.md", "exec"), {"__name__": "doc"})
    assert out.getvalue() == printed.group(1)
    assert os.path.getsize(tmp_path / "grid.png") > 1000
