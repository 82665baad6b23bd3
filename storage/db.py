"""The one SQLite connection: opening, pragmas, the write lock, transactions, migrations.

aiosqlite runs a single :mod:`sqlite3` connection in one worker thread. SQLite gives no
isolation between statements issued on the *same* connection, so two asyncio tasks that
interleave their statements would see (and commit or roll back) each other's half-done
work. Every access therefore goes through :attr:`Database.lock`: single statements run in
autocommit mode under the lock, multi-statement writes run under the lock inside
``BEGIN IMMEDIATE … COMMIT`` (rolled back on any error). Other processes are kept apart by
SQLite's own file locking, with ``busy_timeout`` to wait for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from .errors import StoreError
from .migrations import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000

Params = Sequence[Any]
T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware datetime")
    return value


def to_db_time(value: datetime) -> str:
    """Aware datetime -> fixed-width ISO-8601 UTC text (sorts and compares as text)."""
    return _aware(value).astimezone(UTC).isoformat(timespec="microseconds")


def to_epoch(value: datetime) -> int:
    """Aware datetime -> whole Unix seconds, as ``broadcasts.goes_at`` keeps send times."""
    return int(_aware(value).timestamp())


def from_db_time(value: str | None) -> datetime | None:
    return None if value is None else parse_db_time(value)


def parse_db_time(value: str) -> datetime:
    """Stored text -> aware UTC datetime."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:  # written by hand or by an old tool: treat as UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


class Transaction:
    """Statements inside one ``BEGIN IMMEDIATE … COMMIT``; only valid within the block."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement, return its rowcount: one trip to the connection's thread
        (aiosqlite's ``execute`` + ``cursor.close()`` would take two; ``_execute`` is the
        queue every aiosqlite call goes through, aiosqlite is pinned in constraints.txt)."""
        return await self._conn._execute(_rowcount, self._conn._conn, sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


def _rowcount(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    """In the connection's thread: run one statement, close its cursor, return the count."""
    cursor = conn.execute(sql, params)
    try:
        return cursor.rowcount
    finally:
        cursor.close()


def _in_transaction(
    conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T], begin: str
) -> T:
    """In the connection's thread: ``work`` between ``begin`` and ``COMMIT``, rolled back
    on any error. ``BEGIN IMMEDIATE`` for writes; a plain (deferred) ``BEGIN`` for reads,
    which then see one snapshot of the file and take no write lock."""
    conn.execute(begin)
    try:
        result = work(conn)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return result


def split_sql(script: str) -> list[str]:
    """Split a migration script into complete statements (trigger bodies stay whole)."""
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip(" \t\r\n;"):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer!r}")
    return statements


async def _switch_to_wal(conn: aiosqlite.Connection, tries: int = 20) -> list:
    """``PRAGMA journal_mode = WAL`` needs the file to itself for a moment; SQLite does not
    always wait through its busy handler for that (two processes opening a new file at
    once), so a "database is locked" here is retried briefly instead of failing start-up."""
    for attempt in range(tries):
        try:
            return list(await conn.execute_fetchall("PRAGMA journal_mode = WAL"))
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


async def _user_version(conn: aiosqlite.Connection) -> int:
    rows = list(await conn.execute_fetchall("PRAGMA user_version"))
    return int(rows[0][0])


async def migrate(conn: aiosqlite.Connection, target: int | None = None) -> int:
    """Apply every migration above the database's ``user_version`` up to ``target``.

    Each migration runs in its own ``BEGIN IMMEDIATE`` transaction together with its
    ``user_version`` bump, and re-reads the version under that lock, so a crash leaves the
    database at a whole version and two processes opening a new file do not both migrate
    it. Returns the resulting version. ``conn`` must be in autocommit mode.
    """
    target = SCHEMA_VERSION if target is None else target
    current = await _user_version(conn)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"database schema version {current} is newer than this code ({SCHEMA_VERSION})"
        )
    for migration in MIGRATIONS:
        if migration.version <= current or migration.version > target:
            continue
        if migration.rebuilds_tables:
            # a no-op inside a transaction, so it is switched before BEGIN
            await conn.execute("PRAGMA foreign_keys = OFF")
        await conn.execute("BEGIN IMMEDIATE")
        try:
            current = await _user_version(conn)
            if current < migration.version:
                log.info(
                    "migrating database to version %d: %s",
                    migration.version,
                    migration.description,
                )
                for statement in split_sql(migration.script):
                    await conn.execute(statement)
                if migration.rebuilds_tables:
                    broken = list(await conn.execute_fetchall("PRAGMA foreign_key_check"))
                    if broken:
                        raise StoreError(
                            f"migration {migration.version} would break "
                            f"{len(broken)} foreign key(s); nothing was changed"
                        )
                await conn.execute(f"PRAGMA user_version = {int(migration.version)}")
                current = migration.version
            await conn.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                await asyncio.shield(conn.rollback())
            raise
        finally:
            if migration.rebuilds_tables:
                await conn.execute("PRAGMA foreign_keys = ON")
    return current


class Database:
    """Owns the aiosqlite connection and the lock that serialises all access to it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.lock = asyncio.Lock()
        self._open_lock = asyncio.Lock()
        self._conn: aiosqlite.Connection | None = None

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StoreError("store is not open")
        return self._conn

    async def open(self) -> None:
        async with self._open_lock:
            if self._conn is not None:
                return
            self._prepare_file()
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            try:
                conn.row_factory = sqlite3.Row
                await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                # A new file hands freed pages back a few at a time (storage/maintenance.py);
                # on a file that already has tables this is a no-op.
                await conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
                rows = await _switch_to_wal(conn)
                if str(rows[0][0]).lower() != "wal":
                    raise StoreError(f"could not enable WAL journal mode (got {rows[0][0]!r})")
                await conn.execute("PRAGMA synchronous = NORMAL")
                await conn.execute("PRAGMA foreign_keys = ON")
                # Freed pages (old key ciphertext after rotation or deletion) are zeroed.
                await conn.execute("PRAGMA secure_delete = ON")
                await migrate(conn)
            except BaseException:
                await conn.close()
                raise
            self._conn = conn

    def _prepare_file(self) -> None:
        """Create the parent directory and an owner-only database file if missing.

        SQLite gives its ``-wal`` and ``-shm`` files the permissions of the database file.
        """
        if not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)

    async def close(self) -> None:
        async with self._open_lock:
            conn = self._conn
            if conn is None:
                return
            async with self.lock:  # let a running transaction finish first
                self._conn = None
                try:
                    await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlite3.Error:  # another process may hold a read lock; not fatal
                    log.warning("WAL checkpoint before close failed", exc_info=True)
                finally:
                    await conn.close()

    # -- access helpers ---------------------------------------------------------------------

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One statement in autocommit mode under the lock; returns its rowcount."""
        async with self.lock:
            return await Transaction(self.conn).execute(sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """One statement (a SELECT, or a write with RETURNING) under the lock."""
        async with self.lock:
            return await Transaction(self.conn).fetchall(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def in_one_trip(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``BEGIN IMMEDIATE``, ``work(conn)``, ``COMMIT`` (ROLLBACK on any error) in one
        trip to the connection's thread, under the lock. For a hot path whose statements
        need no await between them (the approve press): each trip is a thread hand-off
        that waits for the event loop, so fifteen of them cost more than the SQL."""
        async with self.lock:
            conn = self.conn
            return await conn._execute(_in_transaction, conn._conn, work, "BEGIN IMMEDIATE")

    async def read(self, work: Callable[..., T], *args: Any) -> T:
        """``work(conn, *args)``, a read of one statement, in one trip under the lock: the
        store's reads that a page also makes together (:meth:`read_in_one_trip`)."""
        async with self.lock:
            conn = self.conn
            return await conn._execute(work, conn._conn, *args)

    async def read_in_one_trip(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Several reads, ``work(conn)``, in one trip to the connection's thread, under the
        lock, seeing one snapshot of the file (a page that shows rows of several tables
        waited for a thread hand-off per table)."""
        async with self.lock:
            conn = self.conn
            return await conn._execute(_in_transaction, conn._conn, work, "BEGIN")

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """``BEGIN IMMEDIATE … COMMIT`` under the lock; rolls back on any exception."""
        async with self.lock:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(conn)
            except BaseException:
                with contextlib.suppress(Exception):
                    await asyncio.shield(conn.rollback())
                raise
            else:
                try:
                    await conn.commit()
                except BaseException:
                    with contextlib.suppress(Exception):
                        await asyncio.shield(conn.rollback())
                    raise
