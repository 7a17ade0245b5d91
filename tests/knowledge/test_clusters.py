"""Grouping similar texts for the list of knowledge gaps."""

from __future__ import annotations

import pytest

from knowledge.clusters import group_similar

MESSAGES = [
    "can I order pizza",  # 0
    "my vpn keeps dropping",  # 1
    "Can I order pizza?",  # 2
    "the vpn keeps dropping!!",  # 3
    "printer jammed again",  # 4
    "can i order a pizza",  # 5
]


def test_similar_texts_share_a_group_and_the_largest_group_comes_first() -> None:
    groups = group_similar(MESSAGES)

    assert [group.members for group in groups] == [(0, 2, 5), (1, 3), (4,)]


def test_the_example_is_the_most_frequent_phrasing() -> None:
    texts = ["order pizza please", "can I order pizza", "Can I order pizza?"]

    (group,) = group_similar(texts)

    assert group.example == "can I order pizza"


@pytest.mark.parametrize(
    ("texts", "members"),
    [
        ([], []),
        (["😀", "😀", ""], [(0, 1), (2,)]),
        (["vpn is slow", "hvordan bestiller jeg pizza"], [(0,), (1,)]),
    ],
)
def test_edge_cases_group_only_what_is_alike(
    texts: list[str], members: list[tuple[int, ...]]
) -> None:
    assert [group.members for group in group_similar(texts)] == members


def test_a_threshold_of_one_groups_only_identical_texts() -> None:
    groups = group_similar(["my vpn keeps dropping", "the vpn keeps dropping"], threshold=1.0)

    assert len(groups) == 2


def test_a_threshold_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        group_similar(["a"], threshold=1.5)
