"""SQL for login throttling, security audit entries and map-stream tickets.

Times are ``clock_timestamp()``, not ``now()``: a lock or a ticket lifetime is wall-clock time,
whatever transaction reads it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models.audit import AuditEntry


class LoginThrottleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def locked_for(self, keys: list[str]) -> float:
        """Seconds until the last of these keys unlocks; 0 when none is locked."""
        wait = await self.session.scalar(
            text(
                "SELECT max(extract(epoch FROM locked_until - clock_timestamp())) FROM login_throttle "
                "WHERE key = ANY(:keys) AND locked_until > clock_timestamp()"
            ),
            {"keys": keys},
        )
        return float(wait or 0)

    async def count_failure(self, key: str, window_s: int) -> int:
        """One more failure of a key (failures older than the window are forgotten); the count.
        The upsert locks the row, so concurrent workers count every failure."""
        count = await self.session.scalar(
            text(
                "INSERT INTO login_throttle AS t (key, failures, last_failure_at) "
                "VALUES (:key, 1, clock_timestamp()) ON CONFLICT (key) DO UPDATE SET "
                "failures = CASE WHEN t.last_failure_at < clock_timestamp() - make_interval(secs => :window) "
                "THEN 1 ELSE t.failures + 1 END, last_failure_at = clock_timestamp() "
                "RETURNING failures"
            ),
            {"key": key, "window": window_s},
        )
        return int(count or 0)

    async def lock(self, key: str, seconds: float) -> None:
        await self.session.execute(
            text(
                "UPDATE login_throttle SET locked_until = clock_timestamp() + make_interval(secs => :s) "
                "WHERE key = :key"
            ),
            {"key": key, "s": seconds},
        )

    async def forget(self, keys: list[str]) -> None:
        # One key at a time, in the caller's order: the order count_failure locks them in.
        for key in keys:
            await self.session.execute(
                text("DELETE FROM login_throttle WHERE key = :key"), {"key": key}
            )

    async def forget_stale(self, older_than_s: int) -> None:
        """Counters nobody has failed on for a long time; keeps the table small."""
        await self.session.execute(
            text(
                "DELETE FROM login_throttle WHERE last_failure_at < clock_timestamp() - make_interval(secs => :s) "
                "AND (locked_until IS NULL OR locked_until < clock_timestamp())"
            ),
            {"s": older_than_s},
        )


async def write_security_audit(
    session: AsyncSession, *, row_id: uuid.UUID, action: str, scope_path: str | None,
    details: dict[str, Any],
) -> None:
    """An audit entry of a security event (no table row changed, so no trigger writes it)."""
    await session.execute(
        insert(AuditEntry).values(
            entity="login", row_id=row_id, action=action, via="login", scope_path=scope_path,
            after=details,
        )
    )


class StreamTicketRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, digest: str, user_id: uuid.UUID, ttl_s: int) -> None:
        await self.session.execute(
            text(
                "INSERT INTO stream_ticket (digest, user_id, expires_at) "
                "VALUES (:digest, :user_id, clock_timestamp() + make_interval(secs => :ttl))"
            ),
            {"digest": digest, "user_id": user_id, "ttl": ttl_s},
        )
        # Expired tickets have no further use; dropping them here keeps the table tiny.
        await self.session.execute(
            text("DELETE FROM stream_ticket WHERE expires_at < clock_timestamp() - interval '1 hour'")
        )

    async def redeem(self, digest: str) -> uuid.UUID | None:
        """The ticket's user, once: the first redemption marks it used, atomically."""
        user_id: uuid.UUID | None = await self.session.scalar(
            text(
                "UPDATE stream_ticket SET used_at = clock_timestamp() WHERE digest = :digest "
                "AND used_at IS NULL AND expires_at > clock_timestamp() RETURNING user_id"
            ),
            {"digest": digest},
        )
        return user_id
