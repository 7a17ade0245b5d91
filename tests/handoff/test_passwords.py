"""Agent passwords are stored as Argon2id hashes."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from handoff.passwords import hash_password, needs_rehash, verify_password


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse") is True
    assert verify_password(stored, "correct horse ") is False


def test_hashes_are_salted() -> None:
    assert hash_password("same") != hash_password("same")


@pytest.mark.parametrize("stored", ["", "plaintext", "$argon2id$v=19$broken"])
def test_a_corrupt_hash_never_verifies(stored: str) -> None:
    assert verify_password(stored, "plaintext") is False


def test_a_hash_with_current_parameters_needs_no_rehash() -> None:
    assert needs_rehash(hash_password("pw")) is False


def test_a_hash_with_weaker_parameters_needs_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("pw")
    assert verify_password(weak, "pw") is True
    assert needs_rehash(weak) is True


def test_the_default_profile_is_rfc_9106_low_memory() -> None:
    assert hash_password("pw").startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_test_suites_cheap_hash_verifies_and_is_renewed_by_a_deployment() -> None:
    cheap = hash_password("pw", "cheapest")
    assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert verify_password(cheap, "pw") is True
    assert verify_password(cheap, "pw ") is False
    assert needs_rehash(cheap, "cheapest") is False
    assert needs_rehash(cheap) is True
    # And a deployment's hash is renewed where a test suite's profile is configured.
    assert needs_rehash(hash_password("pw"), "cheapest") is True


def test_a_corrupt_hash_needs_a_rehash() -> None:
    assert needs_rehash("plaintext") is True
