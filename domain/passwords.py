"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import Throttled

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so timing does not reveal which names
    exist; computed on first use, not at import."""
    return _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


class PasswordVerifier:
    """argon2 off the event loop: a few threads (argon2-cffi releases the GIL) and a bounded
    queue in front, so a login flood costs the rest of the API neither latency nor memory."""

    def __init__(self, workers: int = 2, max_pending: int = 32) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argon2")
        self.max_pending = max_pending
        self.pending = 0

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Check a password in the pool; ``Throttled`` when too many checks already wait."""
        if self.pending >= self.max_pending:
            raise Throttled("too many logins in progress; retry shortly", retry_after_s=1)
        self.pending += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, verify_password, password_hash,
                                              password)
        finally:
            self.pending -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
