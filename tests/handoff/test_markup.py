"""The Markdown of messages: the safe subset as HTML and as text with spans."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff.markup import safe_url, to_html, to_spans


class _Tags(HTMLParser):
    """Every element of an HTML fragment, as a browser's parser sees it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, dict(attrs)))


LINK = '<a href="{0}" rel="noopener noreferrer nofollow" target="_blank">{1}</a>'


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("**bold** and *italic*", "<p><strong>bold</strong> and <em>italic</em></p>"),
        ("type `vpn.example.org`", "<p>type <code>vpn.example.org</code></p>"),
        (
            "**https://password.example.org**",
            "<p><strong>"
            + LINK.format("https://password.example.org", "https://password.example.org")
            + "</strong></p>",
        ),
        (
            "Go to https://password.example.org.",
            "<p>Go to "
            + LINK.format("https://password.example.org", "https://password.example.org")
            + ".</p>",
        ),
        (
            "[help](https://x.org/a?b=1&c=2)",
            "<p>" + LINK.format("https://x.org/a?b=1&amp;c=2", "help") + "</p>",
        ),
        (
            "mail it@example.org",
            "<p>mail " + LINK.format("mailto:it@example.org", "it@example.org") + "</p>",
        ),
        ("- one\n- two", "<ul><li>one</li><li>two</li></ul>"),
        ("3. three\n4. four", '<ol start="3"><li>three</li><li>four</li></ol>'),
        ("line one\nline two", "<p>line one<br>line two</p>"),
        ("# Title", "<p><strong>Title</strong></p>"),
        ("```\nls -l <dir>\n```", "<pre><code>ls -l &lt;dir&gt;</code></pre>"),
    ],
)
def test_the_safe_subset_becomes_html(text: str, html: str) -> None:
    assert to_html(text) == html


@pytest.mark.parametrize(
    "hostile",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click]( javascript:alert(1))",
        "[click](java\tscript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](vbscript:msgbox)",
        "<javascript:alert(1)>",
        "javascript:alert(1)",
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        "![x](https://example.org/track.png)",
        '[x](https://ok.org" onclick="alert(1))',
        "**[x](javascript:alert(1))**",
        "*<b>*nested*</b>*",
    ],
)
def test_hostile_input_yields_no_unsafe_markup(hostile: str) -> None:
    tags = _Tags()
    tags.feed(to_html(hostile))
    assert {tag for tag, _ in tags.seen} <= {"p", "strong", "em", "a"}
    for tag, attrs in tags.seen:
        if tag == "a":
            assert sorted(attrs) == ["href", "rel", "target"]
            assert safe_url(attrs["href"] or "")
        else:
            assert attrs == {}


@pytest.mark.parametrize(
    "deep",
    ["> " * 500 + "end", "- " * 500 + "end", "*" * 5000 + "end", "[a](" * 2000 + "end"],
)
def test_deep_nesting_keeps_every_word(deep: str) -> None:
    assert "end" in to_html(deep)
    assert to_spans(deep).text.endswith("end")


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://x.org", True),
        ("HTTP://x.org", True),
        ("mailto:a@b.org", True),
        ("javascript:alert(1)", False),
        ("data:text/html,x", False),
        ("tel:+45", False),
        ("//evil.org", False),
    ],
)
def test_only_web_and_mail_links_are_safe(url: str, safe: bool) -> None:
    assert safe_url(url) is safe


def test_spans_mark_the_formatted_parts() -> None:
    rich = to_spans("Open **Secure Client**, see https://x.org\n\n- a `b`")
    assert rich.text == "Open Secure Client, see https://x.org\n\n• a b"
    assert [(s.kind, rich.text[s.start : s.end], s.url) for s in rich.spans] == [
        ("bold", "Secure Client", None),
        ("link", "https://x.org", "https://x.org"),
        ("code", "b", None),
    ]


@given(st.text(max_size=300))
def test_any_text_gives_html_without_raw_tags(text: str) -> None:
    html = to_html(text)
    # Every "<" the output holds opens one of our tags; the customer's own are escaped.
    assert re.fullmatch(r"(?:[^<]|<(?:/?(?:p|strong|em|code|pre|ul|ol|li|a)\b[^>]*|br)>)*", html)
