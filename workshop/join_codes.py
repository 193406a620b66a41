"""Join codes: short, unambiguous and unguessable, typed from a projector or read aloud."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L: a code read aloud or off a projector is typed right first time.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


def generate_join_code() -> str:
    """A short, unambiguous, unguessable code (31^8 ≈ 8.5e11 possibilities)."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalise_join_code(raw: str) -> str:
    """Accept what people type: lower case, spaces, dashes."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())


def format_join_code(code: str) -> str:
    """Shown as ABCD-EFGH so it can be read aloud in two halves."""
    return f"{code[:4]}-{code[4:]}"
