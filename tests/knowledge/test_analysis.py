"""Normalisation, stop words and stemming."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from knowledge.analysis import Analyzer, base_language, clean, normalize, tokenize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do I connect to the VPN?", "how do i connect to the vpn"),
        ("Doesn't WORK", "doesnt work"),
        ("doesn\u2019t work", "doesnt work"),
        ("Ærø, Øresund & Ålborg!", "ærø øresund ålborg"),
        ("\uff36\uff30\uff2e", "vpn"),
        ("Straße", "strasse"),
        ("e\u0301", "\u00e9"),
        ("snake_case-and/slashes", "snake case and slashes"),
        ("error 0x80070005 on Windows 11", "error 0x80070005 on windows 11"),
        ("tab\there\nnewline\x00nul", "tab here newline nul"),
        ("lone \ud800 surrogate", "lone surrogate"),
        ("'quoted' words", "quoted words"),
        ("", ""),
        ("?!  ...", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_clean_removes_surrogates_and_control_characters() -> None:
    cleaned = clean("a\ud800b\x00c\x9fd")

    assert cleaned == "a?b c d"
    assert cleaned.encode("utf-8")


def test_tokenize_splits_normalised_words() -> None:
    assert tokenize("Can't print: printer #3 offline.") == [
        "cant",
        "print",
        "printer",
        "3",
        "offline",
    ]


@pytest.mark.parametrize(
    ("lang", "text", "terms", "stems"),
    [
        (
            "en",
            "My printers are not printing",
            ("printers", "not", "printing"),
            ("printer", "not", "print"),
        ),
        ("en", "The VPN does not connect", ("vpn", "not", "connect"), ("vpn", "not", "connect")),
        ("da", "Printeren virker ikke", ("printeren", "virker", "ikke"), ("print", "virk", "ikk")),
        ("da", "Jeg har glemt min adgangskode", ("glemt", "adgangskode"), ("glemt", "adgangskod")),
        ("da-DK", "adgangskoder", ("adgangskoder",), ("adgangskod",)),
        ("de", "Die Drucker", ("die", "drucker"), ("die", "drucker")),
    ],
)
def test_analyze_drops_stop_words_and_stems(
    lang: str, text: str, terms: tuple[str, ...], stems: tuple[str, ...]
) -> None:
    analysis = Analyzer(lang).analyze(text)

    assert (analysis.terms, analysis.stems) == (terms, stems)


def test_an_unknown_language_uses_every_stemmer() -> None:
    analysis = Analyzer(None).analyze("printers virker")

    assert analysis.stems == ("printer", "print", "virker", "virk")


@pytest.mark.parametrize(
    "text",
    ["the vpn doesn't work", "the VPN does not work", "vpn doesnt work", "vpn isn't working"],
)
def test_english_negations_become_not(text: str) -> None:
    assert Analyzer("en").analyze(text).stems == ("vpn", "not", "work")


def test_contracted_pronouns_are_stop_words() -> None:
    assert Analyzer("en").analyze("I'm sure it's what's broken").terms == ("sure", "broken")


def test_danish_text_is_not_expanded() -> None:
    assert Analyzer("da").analyze("cant").terms == ("cant",)


def test_a_text_of_stop_words_keeps_them() -> None:
    assert Analyzer("en").analyze("Who are you?").terms == ("who", "are", "you")


def test_very_long_words_are_not_stemmed() -> None:
    word = "connecting" * 10

    assert Analyzer("en").analyze(word).stems == (word,)


def test_an_analyzer_gives_the_same_stems_from_many_threads() -> None:
    analyzer = Analyzer(None)
    texts = [f"printing{i} connected{i} adgangskoderne{i}" for i in range(2000)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(analyzer.analyze, texts))

    assert results == [Analyzer(None).analyze(text) for text in texts]


@pytest.mark.parametrize(
    ("code", "expected"), [("en", "en"), ("da-DK", "da"), ("PT-br", "pt"), (None, None)]
)
def test_base_language(code: str | None, expected: str | None) -> None:
    assert base_language(code) == expected
