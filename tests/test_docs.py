"""The README and docs/API.md point only at files inside the repository, and those exist."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", ROOT / "docs" / "API.md"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_link_is_a_file_inside_the_repository(doc):
    text = doc.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)", text) + re.findall(r"`(\.\./[^`]+)`", text)
    assert targets or doc.name == "API.md"
    for target in targets:
        assert "://" not in target, f"{doc.name} links outside the repository: {target}"
        path = (doc.parent / target).resolve()
        assert path.is_relative_to(ROOT), f"{doc.name} links outside the repository: {target}"
        assert path.exists(), f"{doc.name} links to a missing file: {target}"
