"""Logins: the password check, throttled per account, per client, and per both together.

Rules decided here:
- Failures are counted under three keys: the account from this client, the account from any
  client, and the client against any account. Failures older than ``WINDOW_S`` are forgotten.
- Past a key's free attempts each further failure locks the key for an exponentially growing
  time (1 s, 2 s, 4 s …), capped: an attacker can keep a real user out for minutes, not hours,
  and the user's own client (a different key than the attacker's) is locked only by the
  account-wide limit, which is looser.
- A locked key refuses at once (``Throttled``): no password is hashed and nothing is counted,
  so a flood of attempts costs no CPU and does not lengthen the lock.
- A success forgets the account's counters; the client's stay, so an attacker cannot clear
  them by logging into an account of their own.
- Every lock is written to the audit trail (entity ``login``, action ``lockout``), in the
  account's unit when the account exists.
- Passwords are verified off the event loop (``PasswordVerifier``); counters live in the
  database so that every worker process shares them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.errors import Throttled
from domain.models.user import User
from domain.passwords import PasswordVerifier
from domain.repositories.security import LoginThrottleRepository, write_security_audit
from domain.repositories.users import UserRepository

WINDOW_S = 15 * 60
STALE_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class Limit:
    kind: str
    free: int  # failures allowed before the first lock
    cap_s: int  # longest lock


LIMITS = (
    Limit("account+client", free=3, cap_s=5 * 60),
    Limit("account", free=10, cap_s=5 * 60),
    Limit("client", free=30, cap_s=15 * 60),
)


def backoff_s(failures: int, limit: Limit) -> float:
    """How long a key is locked after its n-th failure: 0, then 1 s doubling up to the cap."""
    if failures <= limit.free:
        return 0
    return float(min(limit.cap_s, 2 ** min(failures - limit.free - 1, 30)))


def throttle_keys(username: str, client: str) -> dict[Limit, str]:
    parts = {"account+client": f"{username}|{client}", "account": username, "client": client}
    return {limit: f"{limit.kind}:{parts[limit.kind]}" for limit in LIMITS}


class LoginService:
    """Owns its transactions: a failure must be counted even though the request fails."""

    def __init__(self, session_maker: async_sessionmaker[AsyncSession],
                 verifier: PasswordVerifier) -> None:
        self.session_maker = session_maker
        self.verifier = verifier

    async def login(self, username: str, password: str, client: str) -> User | None:
        """The active user these credentials name, or None; ``Throttled`` while locked out."""
        keys = throttle_keys(username, client[:64])
        async with self.session_maker() as session:
            wait = await LoginThrottleRepository(session).locked_for(list(keys.values()))
            user = None if wait > 0 else await UserRepository(session).by_username(username)
            await session.commit()
        if wait > 0:
            raise Throttled("too many failed logins; retry later", retry_after_s=wait,
                            field="username")
        ok = await self.verifier.verify(user.password_hash if user else None, password)
        ok = ok and user is not None and user.active
        async with self.session_maker() as session:
            repo = LoginThrottleRepository(session)
            if ok:
                await repo.forget([keys[LIMITS[0]], keys[LIMITS[1]]])
            else:
                await self._count_failure(session, repo, keys, username, client, user)
            await session.commit()
        return user if ok else None

    async def _count_failure(
        self, session: AsyncSession, repo: LoginThrottleRepository, keys: dict[Limit, str],
        username: str, client: str, user: User | None,
    ) -> None:
        locks: dict[str, dict[str, float]] = {}
        # Lock order: the keys' rows in LIMITS order, here and in ``forget``, so concurrent
        # logins of one account and client never deadlock.
        for limit, key in keys.items():
            failures = await repo.count_failure(key, WINDOW_S)
            delay = backoff_s(failures, limit)
            if delay:
                await repo.lock(key, delay)
                locks[limit.kind] = {"failures": failures, "locked_for_s": delay}
        if locks:
            await write_security_audit(
                session,
                row_id=user.id if user else uuid.uuid5(uuid.NAMESPACE_URL, f"login:{username}"),
                action="lockout", scope_path=user.unit_path if user else None,
                details={"username": username, "client": client, "locks": locks},
            )
        else:
            await repo.forget_stale(STALE_S)
