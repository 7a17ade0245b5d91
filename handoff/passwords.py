"""Agent password hashing with Argon2id (argon2-cffi).

Only hashes are stored. Parameters follow argon2-cffi's defaults (RFC 9106 low-memory
profile); when they change, :func:`needs_rehash` tells the login code to store a new hash.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


def _hasher() -> PasswordHasher:
    # A fresh hasher is cheap; building it on demand avoids a module-level instance.
    return PasswordHasher()


def hash_password(password: str) -> str:
    """Hash a password for storage.

    Args:
        password: the plain password.

    Returns:
        An encoded Argon2id hash (salt and parameters included).
    """
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Tell whether ``password`` matches a stored hash.

    Args:
        password_hash: the stored encoded hash.
        password: the password someone typed.

    Returns:
        True on a match; False on a mismatch or when the stored value is not a valid hash
        (a corrupt row must lock the agent out, not crash the login page).
    """
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether a stored hash uses outdated parameters and should be replaced.

    Args:
        password_hash: the stored encoded hash (already verified).

    Returns:
        True when the hash should be recomputed with the current parameters.
    """
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
