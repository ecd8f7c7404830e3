"""Password hashing with argon2id (argon2-cffi's defaults: RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gis.errors import InvalidInput

_hasher = PasswordHasher()
# Verified against when the account does not exist, so an unknown name costs as much time as a wrong password.
_DUMMY = _hasher.hash("not-a-real-password-0")
MIN_LENGTH = 10
MAX_LENGTH = 256


def check_policy(password: str) -> None:
    """InvalidInput unless the password is 10-256 characters and not all one kind."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters", reason="weak_password")
    if password.isdigit() or password.isalpha() or len(set(password)) < 4:
        raise InvalidInput("a password mixes letters with digits or symbols", reason="weak_password")
    if "\x00" in password:
        raise InvalidInput("a password cannot contain NUL", reason="nul_byte")


def hash_password(password: str) -> str:
    """An argon2id PHC string."""
    check_policy(password)
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored`` (None: no password set; still costs one verification)."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when the stored hash used older parameters (re-hash after a successful sign-in)."""
    return _hasher.check_needs_rehash(stored)
