"""The change feed: a waiter wakes for its keys only, and never misses a change."""

from __future__ import annotations

import asyncio

from bot.runtime.feed import DESK, ChangeFeed, key_from_database, typing_key


async def test_a_waiter_wakes_when_one_of_its_keys_is_published() -> None:
    feed = ChangeFeed()
    waiting = asyncio.create_task(feed.wait_any({7: None, DESK: None}))
    await asyncio.sleep(0)  # let it register
    feed.publish(DESK)
    assert await asyncio.wait_for(waiting, 5) is True
    assert feed.waiting == 0


async def test_a_change_published_between_reading_and_waiting_is_not_missed() -> None:
    feed = ChangeFeed()
    seen = feed.version(7)
    feed.publish(7)
    assert await feed.wait(7, seen=seen) is True


async def test_other_keys_do_not_wake_a_waiter() -> None:
    feed = ChangeFeed()
    feed.publish(8, typing_key(7))
    assert await feed.wait(7, 0.01, seen=feed.version(7)) is False


async def test_wake_all_wakes_every_key_and_moves_every_version() -> None:
    feed = ChangeFeed()
    before = feed.version(7)
    waiting = [asyncio.create_task(feed.wait(key)) for key in (7, DESK)]
    await asyncio.sleep(0)
    feed.wake_all()
    assert await asyncio.gather(*waiting) == [True, True]
    assert feed.version(7) != before


def test_database_words_become_feed_keys() -> None:
    assert [key_from_database(w) for w in ("desk", "customer:42", "customer:x", "other")] == [
        DESK,
        42,
        None,
        None,
    ]


async def test_counts_of_keys_nobody_waits_on_are_forgotten_without_missing_a_change() -> None:
    feed = ChangeFeed(max_keys=10)
    feed.publish(7)
    seen = feed.version(7)
    waiter = asyncio.create_task(feed.wait(8, seen=feed.version(8)))
    await asyncio.sleep(0)  # let it register
    assert feed.waiting == 1
    for customer in range(100, 200):
        feed.publish(customer)
    assert feed.counted <= 10
    assert feed.version(7) != seen  # a reader who saw the old count reads once more
    before = feed.version(7)
    feed.publish(7)
    assert feed.version(7) not in (seen, before)
    feed.publish(8)  # the waiter's key was kept: it still wakes
    assert await asyncio.wait_for(waiter, 5) is True
