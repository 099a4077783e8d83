"""Reference offline-first sync client (also driven by the simulator)."""

from sync.client.client import (
    BadBatch,
    Fault,
    HTTPStatusError,
    ProtocolViolation,
    Rejection,
    RetriesExhausted,
    SyncClient,
    SyncError,
    SyncReport,
    Unauthorized,
    UnexpectedStatus,
    UnsupportedProtocol,
)
from sync.client.store import LocalStore

__all__ = [
    "BadBatch",
    "Fault",
    "HTTPStatusError",
    "LocalStore",
    "ProtocolViolation",
    "Rejection",
    "RetriesExhausted",
    "SyncClient",
    "SyncError",
    "SyncReport",
    "Unauthorized",
    "UnexpectedStatus",
    "UnsupportedProtocol",
]
