"""Every relative link in the README and the docs/ pages names a file that exists."""

from __future__ import annotations

import re

from tests.paths import ROOT

LINK = re.compile(r"\]\(([^)\s]+)\)")


def _pages():
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_relative_links_resolve():
    broken = []
    for page in _pages():
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # http(s), mailto, anchors within the page
            path = target.split("#", 1)[0]
            if not (page.parent / path).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, "\n".join(broken)


def test_index_maps_every_docs_page():
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    named = set(LINK.findall(index))
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md") if p.name != "index.md" or p.parent != ROOT / "docs"}
    assert pages <= named, sorted(pages - named)
