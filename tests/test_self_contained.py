"""A clone of the project stands alone: nothing reads files outside it (no ``../shared``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = re.compile(r"""(\.\./shared|["'/]shared["'/]|parents\[2\]\s*/\s*["']shared)""")
#: What a document must not point to: the team's reference folder beside the project.
DOCS_OUTSIDE = re.compile(r"\.\./shared|shared/(spec|policy)")


def _files(*patterns: str):
    for pattern in patterns:
        for path in ROOT.glob(pattern):
            if ".venv" not in path.parts and path.is_file():
                yield path


def test_code_and_tests_read_nothing_outside_the_project():
    offenders = [str(p.relative_to(ROOT)) for p in _files("**/*.py", "Makefile", ".ci/*")
                 if p.name != "test_self_contained.py" and OUTSIDE.search(p.read_text("utf-8"))]
    assert offenders == []


def test_docs_do_not_send_readers_outside_the_project():
    offenders = [str(p.relative_to(ROOT)) for p in _files("*.md", "docs/**/*.md")
                 if DOCS_OUTSIDE.search(p.read_text("utf-8"))]
    assert offenders == []


def test_the_sample_archive_is_kept_with_the_tests():
    assert (ROOT / "tests/data/sample-archive.json").is_file()
    assert (ROOT / "tests/data/sample-expected.json").is_file()
