"""Web customers' bearer tokens: the store keeps a digest, never the token itself.

A copy of the database (a backup, a privacy export, a support dump) must not let anybody
write into a customer's conversation. The token is 256 random bits, so one SHA-256 without
salt or stretching is enough: there is nothing to guess.
"""

from __future__ import annotations

import hashlib

#: What a stored digest starts with (older databases held the token itself).
DIGEST_PREFIX = "sha256:"


def token_digest(token: str) -> str:
    """The customer's ``external_id`` for a web chat token.

    Args:
        token: the bearer token the page keeps.

    Returns:
        ``sha256:`` and the hex digest of the token's UTF-8 bytes.
    """
    data = token.encode("utf-8", errors="surrogatepass")
    return DIGEST_PREFIX + hashlib.sha256(data).hexdigest()
