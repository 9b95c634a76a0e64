"""The README and docs/: every relative link and #anchor resolves, every page is reachable,
and the README stays a door (at most 150 lines), not the house."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
PAGES = [README, *sorted((REPO / "docs").glob("*.md"))]
README_MAX_LINES = 150
PICTURE_MAX_BYTES = 300_000

_MARKDOWN = MarkdownIt("commonmark").enable("table")
#: What GitHub drops from a heading's text to make its anchor: all but letters, digits,
#: underscores, hyphens and spaces (its /[^\p{Word}\- ]/u).
_PUNCTUATION = re.compile(r"[^\w\- ]")
#: Anchors written as HTML (<a id="..."> or name="...").
_HTML_ANCHOR = re.compile(r"""<a\s[^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_HTML_LINK = re.compile(r"""<(?:a|img)\s[^>]*\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def slug(text: str) -> str:
    """GitHub's anchor for a heading whose rendered text is text."""
    return _PUNCTUATION.sub("", text.strip().lower()).replace(" ", "-")


def _rendered_text(inline) -> str:
    """The text of an inline token as rendered: text and code, without markup."""
    return "".join(child.content for child in inline.children or [] if child.type in ("text", "code_inline"))


def anchors(path: Path) -> set[str]:
    """Every #anchor GitHub gives the page: its headings' slugs (a repeated one gets -1, -2,
    ...) and the ids of HTML anchors."""
    tokens = _MARKDOWN.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    seen: Counter[str] = Counter()
    for token, following in zip(tokens, tokens[1:]):
        if token.type == "heading_open":
            base = slug(_rendered_text(following))
            found.add(base if not seen[base] else f"{base}-{seen[base]}")
            seen[base] += 1
        if token.type in ("html_block", "inline"):
            found.update(_HTML_ANCHOR.findall(token.content))
    return found


def links(path: Path) -> list[str]:
    """Every link and image target of the page, outside code."""
    found = []
    for token in _MARKDOWN.parse(path.read_text(encoding="utf-8")):
        if token.type == "html_block":
            found += _HTML_LINK.findall(token.content)
        for child in token.children or []:
            if child.type == "link_open":
                found.append(child.attrs["href"])
            elif child.type == "image":
                found.append(child.attrs["src"])
            elif child.type == "html_inline":
                found += _HTML_LINK.findall(child.content)
    return found


def broken_links(path: Path) -> list[str]:
    """The relative links of a page that lead nowhere, each with the reason."""
    problems = []
    for target in links(path):
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            continue  # a web address: not checked here (tests use no network)
        where = (path.parent / unquote(parts.path)).resolve() if parts.path else path
        if not where.exists():
            problems.append(f"{target}: no such file or folder")
            continue
        if parts.path and REPO not in where.parents and where != REPO:
            problems.append(f"{target}: outside the repository")
            continue
        if parts.fragment:
            if where.suffix != ".md":
                problems.append(f"{target}: an anchor into a file that is not Markdown")
            elif unquote(parts.fragment) not in anchors(where):
                name = where.relative_to(REPO) if REPO in where.parents else where.name
                problems.append(f"{target}: no heading or anchor #{parts.fragment} in {name}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(REPO)))
def test_every_relative_link_and_anchor_resolves(page):
    assert broken_links(page) == []


def test_the_readme_is_a_door():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move the detail into docs/"


def test_every_docs_page_is_reachable_from_the_readme():
    reached, todo = set(), [README]
    while todo:
        page = todo.pop()
        reached.add(page)
        for target in links(page):
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path.endswith(".md"):
                continue
            linked = (page.parent / unquote(parts.path)).resolve()
            if linked.is_file() and linked not in reached:
                todo.append(linked)
    assert sorted(p.name for p in set(PAGES) - reached) == []


def test_the_readmes_picture_is_there_and_small():
    picture = REPO / "docs" / "img" / "map.png"
    assert "docs/img/map.png" in links(README)
    assert picture.stat().st_size < PICTURE_MAX_BYTES


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("The map (`map.html`)", "the-map-maphtml"),
        ("`plan.csv` and `plan-notes.txt`", "plancsv-and-plan-notestxt"),
        ("Costs: what separates people from sites", "costs-what-separates-people-from-sites"),
        ("Población  objetivo (2017)", "población--objetivo-2017"),
        ("snake_case and *emphasis*", "snake_case-and-emphasis"),
    ],
)
def test_anchors_follow_githubs_rules(tmp_path, heading, anchor):
    page = tmp_path / "page.md"
    page.write_text(f"# {heading}\n", encoding="utf-8")
    assert anchors(page) == {anchor}


def test_a_repeated_heading_gets_a_number_and_a_broken_link_is_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# Limits\n\n## Limits\n\n[a](#limits-1) [b](#nowhere) [c](missing.md) [d](https://example.org/x)\n\n"
        "`[e](also-missing.md)`\n",
        encoding="utf-8",
    )
    assert anchors(page) == {"limits", "limits-1"}
    assert links(page) == ["#limits-1", "#nowhere", "missing.md", "https://example.org/x"]
    assert broken_links(page) == ["#nowhere: no heading or anchor #nowhere in page.md", "missing.md: no such file or folder"]
