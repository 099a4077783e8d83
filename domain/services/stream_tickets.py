"""Map-stream tickets: what an EventSource URL carries instead of the caller's API token.

Rules decided here:
- A ticket is 32 random bytes, valid ``TICKET_TTL_S`` seconds, for opening one stream once;
  the database keeps only its SHA-256, so a leaked table grants nothing either.
- It names the user who asked for it; the stream is scoped to that user's principal when it
  opens (a user disabled in between is refused).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from domain.repositories.security import StreamTicketRepository

TICKET_TTL_S = 60


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


async def issue_stream_ticket(session: AsyncSession, user_id: uuid.UUID) -> str:
    """A new ticket for this user; only its digest is stored."""
    ticket = secrets.token_urlsafe(32)
    await StreamTicketRepository(session).add(_digest(ticket), user_id, TICKET_TTL_S)
    return ticket


async def redeem_stream_ticket(session: AsyncSession, ticket: str) -> uuid.UUID | None:
    """The ticket's user the first time it is presented within its lifetime; None after."""
    return await StreamTicketRepository(session).redeem(_digest(ticket))
