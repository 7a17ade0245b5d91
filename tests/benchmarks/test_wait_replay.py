"""The wait replay: the simulated day through the store and DeskStatus agrees with the
direct simulation within its noise.

Each replay is small (a few hundred customers) and runs once per database for the module.
"""

from __future__ import annotations

import asyncio

import pytest

from benchmarks.wait.replay import replay_all
from benchmarks.wait.replay_report import Replayed, agreement, format_replay
from benchmarks.wait.report import score
from benchmarks.wait.scenarios import Scenario, stationary, working_day
from tests.conftest import postgres_url

pytestmark = pytest.mark.long

SEED = 3
SCENARIOS = (stationary(3, 1.1, hours=6), working_day(days=1))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(request: pytest.FixtureRequest) -> str:
    """``sqlite`` (a temporary file per replay), or the test PostgreSQL server's URL."""
    if request.param == "sqlite":
        return "sqlite"
    request.getfixturevalue("postgres_admin")  # skips when the server does not answer
    return postgres_url()


@pytest.fixture(scope="module")
def replays(database: str) -> dict[str, Replayed]:
    # Run once for the module on a loop of its own: the tests only read the results.
    results = asyncio.run(replay_all(SCENARIOS, seed=SEED, database=database))
    return {r.direct.scenario.name: r for r in results}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_the_store_records_the_simulated_waits(
    replays: dict[str, Replayed], scenario: Scenario
) -> None:
    assert replays[scenario.name].waits_as_simulated()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_every_served_customer_is_quoted_by_the_product(
    replays: dict[str, Replayed], scenario: Scenario
) -> None:
    replayed = replays[scenario.name]
    assert replayed.product.served == replayed.direct.served
    assert len(replayed.direct.served) >= 80


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_replay_and_direct_agree_within_one_standard_error(
    replays: dict[str, Replayed], scenario: Scenario
) -> None:
    """MAE, bias and 80%-range coverage each within one standard error of the direct
    figure (the simulation's own sampling noise on these customers)."""
    assert agreement(replays[scenario.name]).within_noise()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_the_product_quotes_what_the_estimator_says(
    replays: dict[str, Replayed], scenario: Scenario
) -> None:
    """Per customer, the product's point estimate is within 5% of the mean wait of the
    direct one on average: the same model, fed from the store instead of the simulation."""
    replayed = replays[scenario.name]
    mean_wait = sum(w for _, w in replayed.direct.pairs) / len(replayed.direct.pairs)
    assert replayed.quote_gap_s() <= 0.05 * mean_wait


def test_the_product_beats_the_best_baseline(replays: dict[str, Replayed]) -> None:
    replayed = replays["working day"]
    assert score(replayed.product, "ours").mae_s < score(replayed.direct, "queue_length").mae_s


def test_the_report_has_a_row_per_scenario(replays: dict[str, Replayed]) -> None:
    report = format_replay(list(replays.values()))
    assert [line.split(" | ")[0] for line in report.splitlines() if line.startswith("| c=")] == [
        "| c=3 load 1.1"
    ]
    assert "| working day |" in report
    assert "recorded every served customer's simulated wait: yes." in report
