"""The loader and the index against hostile article files (property-based, hypothesis).

Generated folders hold files with random bytes, random unicode (lone surrogates, NUL, bidi
overrides), random YAML-ish front matter, byte-order marks, CRLF and very long lines. The
promises: ``load_knowledge`` loads them or raises ``KnowledgeLoadError``, never anything
else; every error names one of the files, and a line inside it where it gives one; the index
built from whatever loads answers any query.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import hypothesis
import pytest
import yaml
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from knowledge.embedding import StaticEmbedding
from knowledge.errors import KnowledgeLoadError
from knowledge.front_matter import KNOWN_FIELDS
from knowledge.index import SearchIndex
from knowledge.loader import LoadResult, load_knowledge

pytestmark = pytest.mark.long

#: Any code point at all, surrogates included (st.characters() leaves them out by default).
any_character = st.characters(exclude_categories=())
any_text = st.text(any_character, max_size=40)
NASTY = ("\x00", "\ud800", "\u202e", "\u200b", "\ufeff", "\x85", "\u2028", "\r", "\x1b", "\t")
YAML_PIECES = (
    *(f"{name}: " for name in KNOWN_FIELDS),
    "questions:\n  - ",
    "\n  - ",
    "\n",
    ": ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "? ",
    "&a ",
    "*a",
    "<<: ",
    "!!python/object/apply:os.system ",
    "!!binary ",
    "!!timestamp ",
    "!custom ",
    "|\n  ",
    ">-\n  ",
    "'",
    '"',
    "# ",
    "%YAML 1.1\n",
    "...\n",
    "2025-02-30",
    "1e999",
    "0x1F",
    "~",
    "null",
    "yes",
    "How do I connect to the VPN?",
)

yaml_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.dates(), any_text, st.binary()
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(any_text, children, max_size=3)
    ),
    max_leaves=8,
)
field_names = st.one_of(st.sampled_from(KNOWN_FIELDS), any_text)
dumped_front = st.builds(
    lambda fields, unicode: yaml.safe_dump(fields, allow_unicode=unicode),
    st.dictionaries(field_names, yaml_values, max_size=8),
    st.booleans(),
)
yamlish_front = st.lists(
    st.one_of(st.sampled_from(YAML_PIECES), st.sampled_from(NASTY), any_text), max_size=25
).map("".join)
WELL_FORMED_FRONT = "title: Connecting to the VPN\nquestions:\n  - How do I connect to the VPN?\n"
bodies = st.one_of(
    any_text,
    st.lists(st.one_of(any_text, st.sampled_from(NASTY)), max_size=10).map("".join),
    # A huge single line.
    st.builds(
        lambda piece, count: piece * count,
        st.sampled_from(("x", "ø ", "\u202e")),
        st.integers(1, 200_000),
    ),
)


@st.composite
def article_text(draw: st.DrawFn) -> str:
    """An article: '---', front matter, '---', answer; each part may be hostile."""
    front = draw(st.one_of(st.just(WELL_FORMED_FRONT), dumped_front, yamlish_front))
    opening = draw(st.sampled_from(("---\n", "---\r\n", "--- \n", "", "---")))
    closing = draw(st.sampled_from(("\n---\n", "---\n", "\r\n---\r\n", "", "\n--- \n")))
    return opening + front + closing + draw(bodies)


@st.composite
def file_bytes(draw: st.DrawFn) -> bytes:
    """The bytes of one article file: hostile text, maybe with a BOM, CRLF or a NUL."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=200))
    text = draw(article_text())
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(NASTY)) + text[at:]
    if draw(st.booleans()):
        text = "\ufeff" + text
    # Lone surrogates become bytes that are not UTF-8, as a broken editor would write them.
    return text.encode("utf-8", errors="surrogatepass")


#: Text that UTF-8 can encode (no lone surrogates), so that the file can load.
storable_text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)


@st.composite
def loadable_bytes(draw: st.DrawFn) -> bytes:
    """A well-formed article whose title, questions and answer are hostile text."""
    fields = {
        "id": draw(st.sampled_from(("vpn", "password", "øæå", "\u202evpn"))),
        "title": draw(storable_text),
        "lang": draw(st.sampled_from(("en", "da", "pt-br", "zh-hant"))),
        "questions": draw(st.lists(storable_text, min_size=1, max_size=4)),
    }
    body = draw(st.one_of(storable_text, st.just("x" * 20_000)))
    text = "---\n" + yaml.safe_dump(fields, allow_unicode=True) + "---\n" + body + "\n"
    return text.encode("utf-8")


FILE_NAMES = ("vpn.md", "vpn.en.md", "vpn.da.md", "network/vpn.md", "deep/er/x.MD", "notes.txt")
folders = st.dictionaries(st.sampled_from(FILE_NAMES), file_bytes(), min_size=1, max_size=3)
loadable_folders = st.dictionaries(
    st.sampled_from(FILE_NAMES), loadable_bytes(), min_size=1, max_size=3
)
queries = st.lists(
    st.one_of(any_text, st.sampled_from(NASTY), st.just("vpn " * 5000)), min_size=1, max_size=3
)

HOSTILE_SETTINGS = hypothesis.settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def embedding() -> StaticEmbedding:
    """The bundled embedding model, loaded once for every example."""
    return StaticEmbedding.load()


def line_count(data: bytes) -> int:
    """Lines in a file by the most generous count: every line break Python knows."""
    return len(data.decode("utf-8", errors="replace").splitlines()) + 1


def load_or_errors(root: Path, files: dict[str, bytes]) -> LoadResult | KnowledgeLoadError:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    try:
        return load_knowledge(root)
    except KnowledgeLoadError as exc:
        return exc


@HOSTILE_SETTINGS
@given(files=folders)
def test_hostile_files_load_or_fail_with_errors_that_name_file_and_line(
    files: dict[str, bytes],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        outcome = load_or_errors(root, files)
        if isinstance(outcome, LoadResult):
            return
        assert outcome.errors
        written = {root / name: data for name, data in files.items()}
        for error in outcome.errors:
            assert error.path in written, error
            assert error.line is None or 1 <= error.line <= line_count(written[error.path]), error


@HOSTILE_SETTINGS
@given(files=loadable_folders, asked=queries)
def test_the_index_of_whatever_loads_answers_any_query(
    embedding: StaticEmbedding, files: dict[str, bytes], asked: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        outcome = load_or_errors(Path(folder), files)
    loaded = outcome.knowledge if isinstance(outcome, LoadResult) else None
    hypothesis.assume(loaded is not None)
    assert loaded is not None
    index = SearchIndex.build(loaded, embedding=embedding)
    for query in asked:
        found = index.search(query, limit=3)
        assert len(found) <= 3
        assert all(0.0 <= candidate.score <= 1.0 for candidate in found)
