"""Agent password hashing with Argon2id (argon2-cffi).

Only hashes are stored. A deployment hashes with RFC 9106's low-memory profile (argon2-cffi's
default); a test suite may choose argon2-cffi's ``CHEAPEST`` profile, which the library
offers for tests only (``helpline doctor`` warns of it). A hash carries its own parameters,
so any hash verifies whatever the deployment's choice; when the choice differs from a
stored hash's parameters, :func:`needs_rehash` tells the login code to store a new hash.
"""

from __future__ import annotations

from typing import Literal

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

#: How new hashes are made: ``rfc9106-low-memory`` (64 MiB, three passes: about a tenth of
#: a second of a core) or ``cheapest`` (for test suites only: next to no protection).
PasswordHashing = Literal["rfc9106-low-memory", "cheapest"]

DEFAULT_HASHING: PasswordHashing = "rfc9106-low-memory"

_PROFILES: dict[PasswordHashing, Parameters] = {
    "rfc9106-low-memory": profiles.RFC_9106_LOW_MEMORY,
    "cheapest": profiles.CHEAPEST,
}


def _hasher(hashing: PasswordHashing) -> PasswordHasher:
    # A fresh hasher is cheap; building it on demand avoids a module-level instance.
    return PasswordHasher.from_parameters(_PROFILES[hashing])


def hash_password(password: str, hashing: PasswordHashing = DEFAULT_HASHING) -> str:
    """Hash a password for storage.

    Args:
        password: the plain password.
        hashing: the deployment's profile (``Settings.password_hashing``).

    Returns:
        An encoded Argon2id hash (salt and parameters included).
    """
    return _hasher(hashing).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether ``password`` matches a stored hash (made with any profile).

    Args:
        password_hash: the stored encoded hash.
        password: the password someone typed.

    Returns:
        True on a match; False on a mismatch or when the stored value is not a valid hash
        (a corrupt row must lock the agent out, not crash the login page).
    """
    try:
        # The parameters are the hash's own; the hasher's matter only to new hashes.
        return _hasher(DEFAULT_HASHING).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, hashing: PasswordHashing = DEFAULT_HASHING) -> bool:
    """Tell whether a stored hash was made otherwise than the deployment's profile says.

    Args:
        password_hash: the stored encoded hash.
        hashing: the deployment's profile (``Settings.password_hashing``).

    Returns:
        True when the hash should be recomputed with the profile's parameters.
    """
    try:
        return _hasher(hashing).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
