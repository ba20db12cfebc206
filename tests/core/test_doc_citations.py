"""What the code relies on is written in the repository's own docs: every `docs/….md` a comment,
docstring or doc cites exists, and nothing cites a guide that is not in the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r"docs/[\w.-]+\.md")
TEXT = {".py", ".md", ".html", ""}


def _texts():
    for folder in ("souk", "tests", "bench", "docs", "scripts"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in TEXT and "__pycache__" not in path.parts:
                yield path, path.read_text(errors="ignore")
    yield ROOT / "README.md", (ROOT / "README.md").read_text()


def test_every_cited_doc_exists():
    missing = {f"{path.relative_to(ROOT)} cites {doc}" for path, text in _texts()
               for doc in CITATION.findall(text) if not (ROOT / doc).is_file()}
    assert not missing, sorted(missing)


def test_nothing_cites_a_guide_outside_the_repository():
    citing = [str(path.relative_to(ROOT)) for path, text in _texts()
              if "GUIDE.md" in text and path != Path(__file__)]
    assert not citing, citing
