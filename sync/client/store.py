"""Device-local replica and outbox in SQLite.

Each row keeps two versions: the last state the server confirmed (``base_*``) and the view
the app reads (``fields_json``/``deleted``), which is the base with still-pending outbox
edits overlaid. Deriving the view from (base, outbox) every time either changes means a
pull never hides unsent work, and a rejected edit simply disappears from the view.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from sync.hlc import HLC, MAX_MS
from sync.wire import RECORDED_TIME_FIELDS, Change, Fields, Mutation, MutationResult

RowKey = tuple[str, uuid.UUID]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    entity TEXT NOT NULL,
    row_id TEXT NOT NULL,
    fields_json TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    base_json TEXT,                          -- NULL: the server has no such row (as far as we know)
    base_deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (entity, row_id)
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id TEXT NOT NULL UNIQUE,
    entity TEXT NOT NULL,
    row_id TEXT NOT NULL,
    mutation_json TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',   -- 'sent' once a push was attempted
    seen_hlc TEXT                            -- the server_hlc known when it was recorded
);
CREATE INDEX IF NOT EXISTS outbox_row ON outbox(entity, row_id, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_json_enc = msgspec.json.Encoder()
_fields_dec = msgspec.json.Decoder(dict[str, Any])
_mutation_dec = msgspec.json.Decoder(Mutation)


def _dumps(value: Fields | Mutation) -> str:
    return _json_enc.encode(value).decode()


def _shifted(value: Any, shift_ms: int) -> Any:
    """A recorded time (RFC 3339 text or a datetime) moved by ``shift_ms``; others unchanged."""
    delta = timedelta(milliseconds=shift_ms)
    if isinstance(value, datetime):
        return value + delta
    if isinstance(value, str):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return value
        return (at + delta).isoformat()
    return value


class LocalStore:
    """SQLite-backed replica + outbox + sync metadata for one device."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        # Autocommit mode: transactions are explicit via _tx() so their extent is obvious.
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(outbox)")}
        if "seen_hlc" not in columns:  # a store made before the column existed
            self._db.execute("ALTER TABLE outbox ADD COLUMN seen_hlc TEXT")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- metadata ---------------------------------------------------------------------

    def _get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, db: sqlite3.Connection, key: str, value: str | None) -> None:
        if value is None:
            db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def cursor(self) -> str | None:
        """Pull position; only ever written together with the changes it covers."""
        return self._get_meta("cursor")

    @property
    def server_hlc(self) -> str | None:
        return self._get_meta("server_hlc")

    @property
    def local_hlc(self) -> str | None:
        """HLC of the newest local edit, so a restarted clock never reissues older values."""
        return self._get_meta("local_hlc")

    @property
    def device_id(self) -> str | None:
        return self._get_meta("device_id")

    def set_meta(self, *, device_id: str | None = None, server_hlc: str | None = None) -> None:
        """Record non-cursor metadata (arguments left as None are unchanged)."""
        with self._tx() as db:
            if device_id is not None:
                self._set_meta(db, "device_id", device_id)
            if server_hlc is not None:
                self._set_meta(db, "server_hlc", server_hlc)

    # -- base + overlay ---------------------------------------------------------------

    def _set_base(self, db: sqlite3.Connection, key: RowKey, fields: Fields, deleted: bool) -> None:
        raw = _dumps(fields)
        db.execute(
            "INSERT INTO rows(entity, row_id, fields_json, deleted, base_json, base_deleted)"
            " VALUES (?1, ?2, ?3, ?4, ?3, ?4) ON CONFLICT(entity, row_id)"
            " DO UPDATE SET base_json = ?3, base_deleted = ?4",
            (key[0], str(key[1]), raw, int(deleted)),
        )

    def _base(self, db: sqlite3.Connection, key: RowKey) -> tuple[Fields, bool] | None:
        row = db.execute(
            "SELECT base_json, base_deleted FROM rows WHERE entity = ? AND row_id = ?",
            (key[0], str(key[1])),
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return _fields_dec.decode(row[0]), bool(row[1])

    def _pending_for(self, db: sqlite3.Connection, key: RowKey) -> list[Mutation]:
        rows = db.execute(
            "SELECT mutation_json FROM outbox WHERE entity = ? AND row_id = ? ORDER BY seq",
            (key[0], str(key[1])),
        )
        return [_mutation_dec.decode(r[0]) for r in rows]

    def _refresh(self, db: sqlite3.Connection, keys: Iterable[RowKey]) -> None:
        """Recompute the view of each row as base + pending edits, in outbox order."""
        for key in set(keys):
            base = self._base(db, key)
            pending = self._pending_for(db, key)
            if base is None and not pending:
                db.execute(
                    "DELETE FROM rows WHERE entity = ? AND row_id = ?", (key[0], str(key[1]))
                )
                continue
            fields, deleted = base if base is not None else ({}, False)
            for m in pending:
                if m.op == "delete":
                    deleted = True
                else:  # an upsert on a deleted row starts it afresh
                    fields, deleted = {**({} if deleted else fields), **m.fields}, False
            db.execute(
                "INSERT INTO rows(entity, row_id, fields_json, deleted) VALUES (?1, ?2, ?3, ?4)"
                " ON CONFLICT(entity, row_id) DO UPDATE SET fields_json = ?3, deleted = ?4",
                (key[0], str(key[1]), _dumps(fields), int(deleted)),
            )

    # -- replica ----------------------------------------------------------------------

    def apply_change(self, change: Change) -> None:
        self.apply_changes([change])

    def apply_changes(
        self, changes: Sequence[Change], cursor: str | None = None, server_hlc: str | None = None
    ) -> None:
        """Apply a pulled page and advance the cursor in one transaction.

        Committing both together means a crash either keeps the old cursor (page is
        re-pulled; rows are whole so reapplying is harmless) or has both: never a skip.
        """
        with self._tx() as db:
            for c in changes:
                self._set_base(db, (c.entity, c.row_id), c.fields, c.op == "delete")
            self._refresh(db, [(c.entity, c.row_id) for c in changes])
            if cursor is not None:
                self._set_meta(db, "cursor", cursor)
            if server_hlc is not None:
                self._set_meta(db, "server_hlc", server_hlc)

    def reset_replica(self) -> None:
        """Drop all rows and the cursor but keep the outbox (server asked for a full resync).

        Pending edits are re-applied so the user still sees their unsent work.
        """
        with self._tx() as db:
            db.execute("DELETE FROM rows")
            self._set_meta(db, "cursor", None)
            keys = db.execute("SELECT DISTINCT entity, row_id FROM outbox").fetchall()
            self._refresh(db, [(e, uuid.UUID(r)) for e, r in keys])

    def get(self, entity: str, row_id: uuid.UUID) -> Fields | None:
        """Current fields of a row as the app sees it, or None if absent or deleted."""
        row = self._db.execute(
            "SELECT fields_json, deleted FROM rows WHERE entity = ? AND row_id = ?",
            (entity, str(row_id)),
        ).fetchone()
        return None if row is None or row[1] else _fields_dec.decode(row[0])

    def is_deleted(self, entity: str, row_id: uuid.UUID) -> bool:
        row = self._db.execute(
            "SELECT deleted FROM rows WHERE entity = ? AND row_id = ?", (entity, str(row_id))
        ).fetchone()
        return bool(row and row[0])

    def rows(self, entity: str | None = None) -> dict[RowKey, Fields]:
        """Non-deleted rows as the app sees them, optionally for one entity."""
        sql = "SELECT entity, row_id, fields_json FROM rows WHERE deleted = 0"
        args: tuple[str, ...] = ()
        if entity is not None:
            sql += " AND entity = ?"
            args = (entity,)
        return {(e, uuid.UUID(r)): _fields_dec.decode(f) for e, r, f in self._db.execute(sql, args)}

    def snapshot(self) -> dict[RowKey, Fields]:
        """All live rows, for comparing a converged replica (empty outbox) with the server."""
        return self.rows()

    # -- outbox -----------------------------------------------------------------------

    def enqueue(self, mutation: Mutation) -> int:
        """Queue a local edit and show it in the replica in the same transaction."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO outbox(mutation_id, entity, row_id, mutation_json, seen_hlc)"
                " VALUES (?,?,?,?,?)",
                (str(mutation.id), mutation.entity, str(mutation.row_id), _dumps(mutation),
                 self.server_hlc),
            )
            self._refresh(db, [(mutation.entity, mutation.row_id)])
            self._set_meta(db, "local_hlc", max(mutation.hlc, self.local_hlc or ""))
            return int(cur.lastrowid or 0)

    def pending(self, limit: int | None = None) -> list[Mutation]:
        """Unacknowledged mutations, oldest first (the server must see them in order)."""
        rows = self._db.execute(
            "SELECT mutation_json FROM outbox ORDER BY seq LIMIT ?",
            (-1 if limit is None else limit,),
        )
        return [_mutation_dec.decode(r[0]) for r in rows]

    def pending_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def restamp_ids(self, mutation_ids: Sequence[uuid.UUID], stamp: Callable[[], str]) -> int:
        """Give the queued mutations named a new HLC from ``stamp``, in outbox order, keeping
        their ids; returns how many. (For a clock found right again, after it refused them.)"""
        wanted = {str(i) for i in mutation_ids}
        with self._tx() as db:
            queued = [(seq, _mutation_dec.decode(raw)) for seq, mid, raw in db.execute(
                "SELECT seq, mutation_id, mutation_json FROM outbox ORDER BY seq").fetchall()
                if mid in wanted]
            for seq, m in queued:
                m.hlc = stamp()
                db.execute("UPDATE outbox SET mutation_json = ? WHERE seq = ?", (_dumps(m), seq))
            if queued:  # the refused future is gone: a restart must not bring it back
                self._set_meta(db, "local_hlc", queued[-1][1].hlc)
            return len(queued)

    def shift_queued(self, shift_ms: int) -> int:
        """Correct every queued mutation recorded under a wrong clock by ``shift_ms``: its HLC
        and its recorded times (``RECORDED_TIME_FIELDS``) move by the offset the server's time
        showed, and ``clock_correction_ms`` says by how much; returns how many.

        Every mutation still queued when the server refused the clock was recorded before the
        correction, under the wrong clock. Its new HLC is the one a right clock would have
        given it: the shifted value, but above the ``server_hlc`` the device knew when the edit
        was made and above the mutation before it (outbox order stays HLC order). A fresh HLC
        instead would make an edit recorded hours ago beat the online edits made since.
        """
        with self._tx() as db:
            queued = db.execute(
                "SELECT seq, mutation_json, seen_hlc FROM outbox ORDER BY seq").fetchall()
            prev: HLC | None = None
            keys: list[RowKey] = []
            for seq, raw, seen in queued:
                m = _mutation_dec.decode(raw)
                old = HLC.parse(m.hlc)
                new = HLC(min(max(old.ms + shift_ms, 0), MAX_MS), old.counter)
                for floor in (HLC.parse(seen) if seen else None, prev):
                    if floor is not None and new <= floor:
                        new = floor.successor()
                m.hlc = new.format()
                m.fields = {k: _shifted(v, shift_ms) if k in RECORDED_TIME_FIELDS else v
                            for k, v in m.fields.items()}
                m.clock_correction_ms = (m.clock_correction_ms or 0) + shift_ms
                db.execute("UPDATE outbox SET mutation_json = ? WHERE seq = ?", (_dumps(m), seq))
                keys.append((m.entity, m.row_id))
                prev = new
            if prev is not None:
                self._set_meta(db, "local_hlc", prev.format())
            self._refresh(db, keys)
            return len(queued)

    def mark_sent(self, mutation_ids: Iterable[uuid.UUID]) -> None:
        """Flag mutations as sent at least once (their retry may come back 'duplicate')."""
        with self._tx() as db:
            db.executemany(
                "UPDATE outbox SET state = 'sent' WHERE mutation_id = ?",
                [(str(i),) for i in mutation_ids],
            )

    def ack(self, mutation_ids: Iterable[uuid.UUID]) -> int:
        """Remove mutations the server applied as sent; returns how many were still queued."""
        ids = {str(i) for i in mutation_ids}
        queued = [m for m in self.pending() if str(m.id) in ids]
        self.settle([(m, MutationResult(id=m.id, status="applied")) for m in queued])
        return len(queued)

    def settle(self, outcomes: Sequence[tuple[Mutation, MutationResult]]) -> None:
        """Drop answered mutations from the outbox and move the server base forward.

        Processed in push order in one transaction. ``current`` (the server's live row)
        wins whenever present. Otherwise only "applied" is folded into the base: for
        duplicate/merged we don't know the server's row, and the next pull will send it
        if it changed; a rejection changes nothing on the server, so the edit just
        vanishes from the view.
        """
        with self._tx() as db:
            for m, r in outcomes:
                key = (m.entity, m.row_id)
                db.execute("DELETE FROM outbox WHERE mutation_id = ?", (str(m.id),))
                if r.current is not None:
                    self._set_base(db, key, r.current, False)
                elif r.status == "applied":
                    fields, deleted = self._base(db, key) or ({}, False)
                    if m.op == "delete":
                        self._set_base(db, key, fields, True)
                    else:
                        self._set_base(db, key, {**({} if deleted else fields), **m.fields}, False)
            self._refresh(db, [(m.entity, m.row_id) for m, _ in outcomes])
