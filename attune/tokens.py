"""Invitation secrets: made here, shown once, stored only as a keyed hash."""

import secrets

from django.utils.crypto import salted_hmac

# No 0/O, 1/I/L: a code is read aloud across a sofa, so it must survive being misheard.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(raw: str) -> str | None:
    """The code as typed ("abcd efgh", "ABCD-EFGH") in canonical form, or None."""
    cleaned = "".join(ch for ch in raw.upper() if ch not in " -")
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return f"{cleaned[:4]}-{cleaned[4:]}"


def token_hash(raw: str) -> str:
    """Keyed with SECRET_KEY, so a leaked table cannot be brute-forced offline; a short code
    has only 40 bits, which a plain hash would not protect."""
    return salted_hmac("attune.invitation", raw, algorithm="sha256").hexdigest()
