"""The workspace store: assessments, their versions, audit records, overrides and drafts in one SQLite file.

The standard library's ``sqlite3`` in WAL mode, foreign keys on, a ``busy_timeout`` so that writers wait
for one another instead of failing. Every write is one ``BEGIN IMMEDIATE`` transaction: it takes the write
lock before it reads, so a read-modify-write (``editing_draft``) never loses another writer's change.

Each thread (and each process) gets its own connection, opened on first use: the web server calls the
store from a pool of worker threads. The schema carries its version in ``PRAGMA user_version`` and is
brought up to date when the file is opened (``MIGRATIONS``, applied in order, in one transaction); a
file from a newer Arbitre, a file that is not an SQLite database, or a database of another program is a
``StoreError`` naming the file.

Names, answers and reasons are user text: they reach SQL only as parameters.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from engine.errors import Problem, StoreError, UnknownAssessmentError

# Written in the file's header, so that a database of another program is not mistaken for a workspace.
APPLICATION_ID = 0x41524254  # "ARBT"

# How long a writer waits for another's transaction to end before giving up (milliseconds).
BUSY_TIMEOUT_MS = 30_000

# SQLite's largest integer: a number beyond it cannot be compared in a query (and no version has it).
MAX_INTEGER = 2**63 - 1

# Migration n (counting from 1) brings a schema of version n - 1 to version n. Only ever append a
# step: a released step is never edited, since workspaces out there were built by it.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE assessments (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            lang TEXT NOT NULL,
            created TEXT NOT NULL,
            updated TEXT NOT NULL)""",
        """CREATE TABLE versions (
            assessment_id TEXT NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
            number INTEGER NOT NULL CHECK (number >= 1),
            answers TEXT NOT NULL,
            author TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            created TEXT NOT NULL,
            PRIMARY KEY (assessment_id, number))""",
        # A version is what was decided on: it is never changed, only followed by another.
        """CREATE TRIGGER versions_immutable BEFORE UPDATE ON versions
            BEGIN SELECT RAISE(ABORT, 'a version is never changed: add a new one'); END""",
        """CREATE TABLE records (
            assessment_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            audit TEXT NOT NULL,
            created TEXT NOT NULL,
            PRIMARY KEY (assessment_id, number),
            FOREIGN KEY (assessment_id, number) REFERENCES versions (assessment_id, number) ON DELETE CASCADE)""",
        """CREATE TABLE overrides (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            assessment_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            flow_id TEXT NOT NULL,
            option TEXT NOT NULL,
            reason TEXT NOT NULL,
            author TEXT NOT NULL,
            created TEXT NOT NULL,
            FOREIGN KEY (assessment_id, version) REFERENCES versions (assessment_id, number) ON DELETE CASCADE)""",
        "CREATE INDEX overrides_by_version ON overrides (assessment_id, version, id)",
        """CREATE TABLE drafts (
            assessment_id TEXT PRIMARY KEY REFERENCES assessments (id) ON DELETE CASCADE,
            answers TEXT NOT NULL,
            state TEXT NOT NULL,
            updated TEXT NOT NULL)""",
        """CREATE TABLE scratch (
            assessment_id TEXT PRIMARY KEY REFERENCES assessments (id) ON DELETE CASCADE,
            answers TEXT NOT NULL,
            updated TEXT NOT NULL)""",
    ),
    (
        # The workspace's own keys (the one CSRF values are signed with): kept across restarts, so that a
        # form left open while the server restarted is still taken. Never exported.
        """CREATE TABLE secrets (
            name TEXT PRIMARY KEY,
            value BLOB NOT NULL CHECK (length(value) >= 32))""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def default_path() -> Path:
    """Where the workspace lives unless ``--db`` says otherwise: ``$ARBITRE_DB`` when it is set, else
    ``workspace.db`` in the user's data directory (``~/.local/share/arbitre`` on Linux)."""
    chosen = os.environ.get("ARBITRE_DB")
    if chosen:
        return Path(chosen).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("arbitre")) / "workspace.db"


def now() -> str:
    """The time a change is recorded with: UTC, to the second, ISO 8601."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def new_id() -> str:
    """A short, URL-safe, unguessable assessment id (8 characters, 48 random bits)."""
    return secrets.token_urlsafe(6)


@dataclass(frozen=True)
class Assessment:
    """One assessment: a name, the language it is conducted in, when it was created and last changed."""

    id: str
    name: str
    lang: str
    created: str
    updated: str


@dataclass(frozen=True)
class Version:
    """A saved set of answers (YAML text), numbered from 1 within its assessment; never changed."""

    assessment_id: str
    number: int
    answers: str
    author: str
    note: str
    created: str


@dataclass(frozen=True)
class Draft:
    """The answers being given, as typed (YAML text), and the conversation's state (JSON-able)."""

    assessment_id: str
    answers: str
    state: dict[str, Any]
    updated: str


@dataclass(frozen=True)
class Override:
    """A person's decision for one flow of a version, replacing the recommendation, with their reason."""

    assessment_id: str
    version: int
    flow_id: str
    option: str
    reason: str
    author: str
    created: str


@dataclass
class DraftEdit:
    """A draft being changed inside ``Store.editing_draft``: change ``answers`` and ``state``; they are
    written when the block ends without an error."""

    answers: str
    state: dict[str, Any]


@dataclass(frozen=True)
class Dump:
    """Everything the store holds about one assessment, as a backup carries it."""

    assessment: Assessment
    versions: tuple[Version, ...]
    records: dict[int, str] = field(default_factory=dict)
    overrides: tuple[Override, ...] = ()
    draft: Draft | None = None
    scratch: str | None = None


def _problem(path: Path, message: str) -> tuple[Problem, ...]:
    return (Problem(str(path), None, "", message),)


class Store:
    """The workspace database. ``Store.open(path)`` it once; share the object between threads."""

    def __init__(self, path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[int, sqlite3.Connection]] = []
        self._closed = False

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Store:
        """The store in ``path``: created with its folder if missing (unless ``create`` is false),
        brought to the current schema. ``StoreError`` when the file cannot be a workspace."""
        path = Path(path)
        if "\0" in str(path):
            raise StoreError(f"cannot open {path!r}", _problem(path, "a file name cannot hold a null character"))
        if not path.exists():
            if not create:
                raise StoreError(f"no workspace at {path}", _problem(path, "no such file: give an existing workspace "
                                                                           "database"))
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create {path.parent}",
                                 _problem(path.parent, exc.strerror or str(exc))) from exc
        elif path.is_dir():
            raise StoreError(f"{path} is a directory, expected a workspace database file",
                             _problem(path, "give a file name (--db), such as workspace.db"))
        store = cls(path, busy_timeout_ms)
        try:
            store._migrate()
        except BaseException:
            store.close()
            raise
        return store

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(self.path, timeout=self._busy_timeout_ms / 1000, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            connection.execute("PRAGMA foreign_keys = ON")
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                raise StoreError(f"cannot open {self.path}",
                                 _problem(self.path, f"cannot use the write-ahead log (journal mode {mode!r})"))
            # With the write-ahead log, NORMAL survives a killed process; FULL survives a power cut too.
            connection.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            connection.close()
            raise self._error(exc) from exc
        except BaseException:
            connection.close()
            raise
        return connection

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a new one in a forked process: a connection never crosses a fork)."""
        if self._closed:
            raise StoreError(f"the workspace {self.path} is closed")
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():
            connection = self._connect()
            self._local.connection, self._local.pid = connection, os.getpid()
            with self._lock:
                self._connections.append((os.getpid(), connection))
        return connection

    def _error(self, exc: sqlite3.Error) -> StoreError:
        """An SQLite failure as the user sees it: the file named, what went wrong, what to do."""
        text = str(exc)
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            hint = ("is not an Arbitre workspace (not an SQLite database, or a damaged one): give another "
                    "--db, or restore a backup with arbitre import workspace")
        elif "locked" in text or "busy" in text:
            hint = f"is busy: another program held it for more than {self._busy_timeout_ms // 1000} s; try again"
        elif "unable to open" in text or "readonly" in text or "read-only" in text:
            hint = f"cannot be opened for writing ({text}): check the folder and its permissions"
        else:
            hint = text
        return StoreError(f"workspace {self.path}: {hint}", _problem(self.path, text))

    def _migrate(self) -> None:
        connection = self._connection()
        with self._transaction(connection):
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if application_id not in (0, APPLICATION_ID) or (application_id == 0 and tables):
                raise StoreError(f"{self.path} is an SQLite database of another program, not an Arbitre workspace",
                                 _problem(self.path, "give another --db, or a new file name to start a workspace"))
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer Arbitre (workspace schema {version}, this version "
                    f"knows up to {SCHEMA_VERSION})",
                    _problem(self.path, "upgrade Arbitre to open it, or give another --db"))
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[number - 1]:
                    connection.execute(statement)
            if version < SCHEMA_VERSION:
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def secret(self, name: str) -> bytes:
        """The workspace's secret key ``name``: 32 random bytes made the first time it is asked for, the
        same ever after (in every process that opens the file)."""
        with self._writing() as connection:
            connection.execute("INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)",
                               (name, secrets.token_bytes(32)))
            value = connection.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()[0]
        return bytes(value)

    def close(self) -> None:
        """Close every connection the store opened (in any thread of this process: a forked child leaves
        its parent's alone); the store cannot be used after."""
        self._closed = True
        with self._lock:
            connections, self._connections = self._connections, []
        for pid, connection in connections:
            if pid != os.getpid():
                continue
            try:
                connection.close()
            except sqlite3.Error:
                pass

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions --------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, connection: sqlite3.Connection, mode: str = "IMMEDIATE") -> Iterator[None]:
        """One transaction: committed when the block ends, rolled back on any error. IMMEDIATE takes
        the write lock first (waiting up to the busy timeout), so what is read stays true until the commit."""
        try:
            connection.execute(f"BEGIN {mode}")
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            yield
        except BaseException as exc:
            try:
                connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError:
                raise self._error(exc) from exc
            raise
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            try:
                connection.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise self._error(exc) from exc

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        with self._transaction(connection):
            yield connection

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read in one snapshot (several queries see the same state)."""
        connection = self._connection()
        with self._transaction(connection, "DEFERRED"):
            yield connection

    def _require(self, connection: sqlite3.Connection, aid: str, when: str) -> None:
        if connection.execute("SELECT 1 FROM assessments WHERE id = ?", (aid,)).fetchone() is None:
            raise UnknownAssessmentError(f"no assessment {aid!r} in {self.path}",
                                         _problem(self.path, f"cannot {when}: no such assessment"))

    def _require_version(self, connection: sqlite3.Connection, aid: str, n: int, when: str) -> None:
        self._require(connection, aid, when)
        if connection.execute("SELECT 1 FROM versions WHERE assessment_id = ? AND number = ?",
                              (aid, n)).fetchone() is None:
            raise UnknownAssessmentError(f"assessment {aid!r} has no version {n}",
                                         _problem(self.path, f"cannot {when}: no such version"))

    @staticmethod
    def _touch(connection: sqlite3.Connection, aid: str, when: str) -> None:
        connection.execute("UPDATE assessments SET updated = ? WHERE id = ?", (when, aid))

    # -- assessments ---------------------------------------------------------------------------

    def create_assessment(self, name: str, lang: str, *, answers: str | None = None, author: str = "",
                          note: str = "") -> Assessment:
        """A new assessment with a fresh id: empty, or (``answers``) with them as its version 1, both saved
        in one transaction (an upload never leaves an empty assessment behind)."""
        created = now()
        with self._writing() as connection:
            while True:
                aid = new_id()
                if connection.execute("SELECT 1 FROM assessments WHERE id = ?", (aid,)).fetchone() is None:
                    break
            connection.execute("INSERT INTO assessments (id, name, lang, created, updated) VALUES (?, ?, ?, ?, ?)",
                               (aid, name, lang, created, created))
            if answers is not None:
                self._insert_version(connection, aid, answers, author, note, created)
        return Assessment(aid, name, lang, created, created)

    def assessments(self) -> list[Assessment]:
        """Every assessment, the most recently changed first."""
        with self._reading() as connection:
            rows = connection.execute(
                "SELECT id, name, lang, created, updated FROM assessments ORDER BY updated DESC, created DESC, id"
            ).fetchall()
        return [Assessment(*row) for row in rows]

    def assessment(self, aid: str) -> Assessment | None:
        """The assessment with this id, or None."""
        with self._reading() as connection:
            row = connection.execute("SELECT id, name, lang, created, updated FROM assessments WHERE id = ?",
                                     (aid,)).fetchone()
        return Assessment(*row) if row else None

    def rename_assessment(self, aid: str, name: str) -> None:
        """Give an assessment another name."""
        with self._writing() as connection:
            self._require(connection, aid, "rename it")
            connection.execute("UPDATE assessments SET name = ?, updated = ? WHERE id = ?", (name, now(), aid))

    def delete_assessment(self, aid: str) -> None:
        """Remove an assessment with all its versions, records, overrides, draft and scratch copy."""
        with self._writing() as connection:
            self._require(connection, aid, "delete it")
            connection.execute("DELETE FROM assessments WHERE id = ?", (aid,))

    # -- drafts --------------------------------------------------------------------------------

    def draft(self, aid: str) -> Draft | None:
        """The draft being answered, or None."""
        with self._reading() as connection:
            row = connection.execute("SELECT answers, state, updated FROM drafts WHERE assessment_id = ?",
                                     (aid,)).fetchone()
        return Draft(aid, row[0], json.loads(row[1]), row[2]) if row else None

    @contextmanager
    def editing_draft(self, aid: str) -> Iterator[DraftEdit]:
        """The draft (an empty one if there is none) to change in place, read and written in one
        ``BEGIN IMMEDIATE`` transaction: a writer that comes meanwhile waits, so no answer is lost.
        Written when the block ends; an error in the block leaves the draft as it was. Keep the block
        short (no rule evaluation inside): every other writer waits for it."""
        with self._writing() as connection:
            self._require(connection, aid, "edit its draft")
            row = connection.execute("SELECT answers, state FROM drafts WHERE assessment_id = ?", (aid,)).fetchone()
            edit = DraftEdit(row[0], json.loads(row[1])) if row else DraftEdit("", {})
            yield edit
            self._put_draft(connection, aid, edit.answers, edit.state)

    def save_draft(self, aid: str, answers: str, state: dict[str, Any]) -> None:
        """Replace the draft with these answers and this state."""
        with self._writing() as connection:
            self._require(connection, aid, "save its draft")
            self._put_draft(connection, aid, answers, state)

    def _put_draft(self, connection: sqlite3.Connection, aid: str, answers: str, state: dict[str, Any]) -> None:
        if not isinstance(answers, str):
            raise TypeError(f"draft answers are YAML text, not {type(answers).__name__}")
        when = now()
        connection.execute(
            "INSERT INTO drafts (assessment_id, answers, state, updated) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (assessment_id) DO UPDATE SET answers = excluded.answers, state = excluded.state, "
            "updated = excluded.updated",
            (aid, answers, json.dumps(state, ensure_ascii=False, sort_keys=True), when))
        self._touch(connection, aid, when)

    def version_from_draft(self, aid: str, answers: str, state: dict[str, Any], audit_json: str, *,
                           author: str = "", note: str = "") -> Version | None:
        """The finished questionnaire: ``answers`` saved as the next version with its record, and the draft
        forgotten, in one ``BEGIN IMMEDIATE`` transaction (a crash leaves either both or neither), provided
        the draft's state is still ``state`` (the one the answers were finished from; ``{}`` for no
        draft). None, and nothing written, when it is not: finished meanwhile by another submit of the
        form, or changed from another window."""
        created = now()
        with self._writing() as connection:
            self._require(connection, aid, "add a version")
            row = connection.execute("SELECT state FROM drafts WHERE assessment_id = ?", (aid,)).fetchone()
            if (json.loads(row[0]) if row else {}) != state:
                return None
            number = self._insert_version(connection, aid, answers, author, note, created)
            self._put_record(connection, aid, number, audit_json, created)
            connection.execute("DELETE FROM drafts WHERE assessment_id = ?", (aid,))
            self._touch(connection, aid, created)
        return Version(aid, number, answers, author, note, created)

    # -- versions and records ------------------------------------------------------------------

    def add_version(self, aid: str, answers: str, author: str = "", note: str = "",
                    audit_json: str | None = None) -> Version:
        """Save ``answers`` as the next version (1, 2, ...); with ``audit_json``, its record in the same
        transaction, so that a version is never seen without the recommendation made from it."""
        created = now()
        with self._writing() as connection:
            self._require(connection, aid, "add a version")
            number = self._insert_version(connection, aid, answers, author, note, created)
            if audit_json is not None:
                self._put_record(connection, aid, number, audit_json, created)
            self._touch(connection, aid, created)
        return Version(aid, number, answers, author, note, created)

    @staticmethod
    def _insert_version(connection: sqlite3.Connection, aid: str, answers: str, author: str, note: str,
                        created: str) -> int:
        """Insert the assessment's next version; its number."""
        number: int = connection.execute("SELECT coalesce(max(number), 0) + 1 FROM versions WHERE assessment_id = ?",
                                         (aid,)).fetchone()[0]
        connection.execute(
            "INSERT INTO versions (assessment_id, number, answers, author, note, created) VALUES (?, ?, ?, ?, ?, ?)",
            (aid, number, answers, author, note, created))
        return number

    def versions(self, aid: str) -> list[Version]:
        """Every version of the assessment, the first first."""
        with self._reading() as connection:
            rows = connection.execute(
                "SELECT assessment_id, number, answers, author, note, created FROM versions "
                "WHERE assessment_id = ? ORDER BY number", (aid,)).fetchall()
        return [Version(*row) for row in rows]

    def version(self, aid: str, n: int) -> Version | None:
        """Version ``n`` of the assessment, or None (also for a number beyond SQLite's integers, which no
        version has: an address may name any)."""
        if not 0 < n <= MAX_INTEGER:
            return None
        with self._reading() as connection:
            row = connection.execute(
                "SELECT assessment_id, number, answers, author, note, created FROM versions "
                "WHERE assessment_id = ? AND number = ?", (aid, n)).fetchone()
        return Version(*row) if row else None

    def save_record(self, aid: str, n: int, audit_json: str) -> None:
        """Keep the audit record (the JSON ``arbitre recommend --audit`` writes) made from version ``n``,
        replacing an earlier one (a record made again with overrides applied)."""
        with self._writing() as connection:
            self._require_version(connection, aid, n, "save its record")
            when = now()
            self._put_record(connection, aid, n, audit_json, when)
            self._touch(connection, aid, when)

    @staticmethod
    def _put_record(connection: sqlite3.Connection, aid: str, n: int, audit_json: str, when: str) -> None:
        connection.execute(
            "INSERT INTO records (assessment_id, number, audit, created) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (assessment_id, number) DO UPDATE SET audit = excluded.audit, created = excluded.created",
            (aid, n, audit_json, when))

    def record(self, aid: str, n: int) -> str | None:
        """The audit record of version ``n``, or None."""
        with self._reading() as connection:
            row = connection.execute("SELECT audit FROM records WHERE assessment_id = ? AND number = ?",
                                     (aid, n)).fetchone()
        return str(row[0]) if row else None

    # -- overrides -----------------------------------------------------------------------------

    def overrides(self, aid: str, n: int) -> list[Override]:
        """Every override recorded on version ``n``, oldest first (the history): for a flow overridden
        twice, the later one holds (``current_overrides``)."""
        with self._reading() as connection:
            rows = connection.execute(
                "SELECT assessment_id, version, flow_id, option, reason, author, created FROM overrides "
                "WHERE assessment_id = ? AND version = ? ORDER BY id", (aid, n)).fetchall()
        return [Override(*row) for row in rows]

    def current_overrides(self, aid: str, n: int) -> dict[str, Override]:
        """The override that holds for each overridden flow of version ``n``: its latest."""
        return {override.flow_id: override for override in self.overrides(aid, n)}

    # -- scratch copy (what-if) ----------------------------------------------------------------

    def scratch(self, aid: str) -> str | None:
        """The what-if copy of the answers being edited, or None."""
        with self._reading() as connection:
            row = connection.execute("SELECT answers FROM scratch WHERE assessment_id = ?", (aid,)).fetchone()
        return str(row[0]) if row else None

    def save_scratch(self, aid: str, answers: str) -> None:
        """Replace the what-if copy."""
        with self._writing() as connection:
            self._require(connection, aid, "save a what-if copy")
            connection.execute(
                "INSERT INTO scratch (assessment_id, answers, updated) VALUES (?, ?, ?) ON CONFLICT (assessment_id) "
                "DO UPDATE SET answers = excluded.answers, updated = excluded.updated", (aid, answers, now()))

    def discard_scratch(self, aid: str) -> None:
        """Forget the what-if copy (nothing happens if there is none)."""
        with self._writing() as connection:
            connection.execute("DELETE FROM scratch WHERE assessment_id = ?", (aid,))

    # -- changes made together: each in one transaction, what it writes worked out first -------

    def override_with_record(self, aid: str, n: int, flow_id: str, option: str, reason: str, author: str,
                             rewrite: Callable[[str, list[Override]], str]) -> Override:
        """Record that ``author`` chose ``option`` for ``flow_id`` in version ``n``, and why (earlier overrides
        of the flow are kept as its history; the latest one holds), and rewrite the version's record with
        it, in one ``BEGIN IMMEDIATE`` transaction: ``rewrite(record, overrides)`` (every override of the version,
        the new one last) makes the new record before anything is written, so an override it refuses
        (it raises) leaves nothing behind, and two overrides at once never lose one another."""
        created = now()
        with self._writing() as connection:
            self._require_version(connection, aid, n, "record an override")
            row = connection.execute("SELECT audit FROM records WHERE assessment_id = ? AND number = ?",
                                     (aid, n)).fetchone()
            if row is None:
                raise UnknownAssessmentError(f"version {n} of {aid!r} has no record yet",
                                             _problem(self.path, "cannot record an override: no record to write "
                                                                 "it into"))
            new = Override(aid, n, flow_id, option, reason, author, created)
            record = rewrite(str(row[0]), [*self._overrides(connection, aid, n), new])
            self._insert_overrides(connection, aid, [new])
            self._put_record(connection, aid, n, record, created)
            self._touch(connection, aid, created)
        return new

    def version_from_scratch(self, aid: str, scratch: str, audit_json: str, *, author: str = "", note: str = "",
                             carry: Callable[[str, list[Override]], tuple[str, list[Override]]] | None = None,
                             ) -> Version | None:
        """Save the what-if copy as the next version with its record and forget the copy, in one
        transaction, provided the copy still reads ``scratch`` (the answers ``audit_json`` was made from);
        None, and nothing written, when it does not (saved by an earlier submit, changed or discarded).
        With ``carry``, ``carry(audit_json, overrides)`` is given the overrides in force on the latest
        version (the latest of each flow) and returns the record with those it keeps, and the kept ones:
        they are recorded on the new version as they were (who, when, why)."""
        created = now()
        with self._writing() as connection:
            self._require(connection, aid, "add a version")
            row = connection.execute("SELECT answers FROM scratch WHERE assessment_id = ?", (aid,)).fetchone()
            if row is None or str(row[0]) != scratch:
                return None
            number = self._insert_version(connection, aid, scratch, author, note, created)
            kept: list[Override] = []
            if carry is not None and number > 1:  # the overrides in force on the version before, one a flow
                in_force = {o.flow_id: o for o in self._overrides(connection, aid, number - 1)}
                audit_json, kept = carry(audit_json, list(in_force.values()))
            self._insert_overrides(connection, aid, [dataclasses.replace(o, version=number) for o in kept])
            self._put_record(connection, aid, number, audit_json, created)
            connection.execute("DELETE FROM scratch WHERE assessment_id = ?", (aid,))
            self._touch(connection, aid, created)
        return Version(aid, number, scratch, author, note, created)

    @staticmethod
    def _insert_overrides(connection: sqlite3.Connection, aid: str, overrides: Iterable[Override]) -> None:
        """Insert ``overrides`` into assessment ``aid``, each on its version, in their order (of a flow's
        overrides, the later holds)."""
        connection.executemany(
            "INSERT INTO overrides (assessment_id, version, flow_id, option, reason, author, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(aid, o.version, o.flow_id, o.option, o.reason, o.author, o.created) for o in overrides])

    @staticmethod
    def _overrides(connection: sqlite3.Connection, aid: str, n: int) -> list[Override]:
        rows = connection.execute(
            "SELECT assessment_id, version, flow_id, option, reason, author, created FROM overrides "
            "WHERE assessment_id = ? AND version = ? ORDER BY id", (aid, n)).fetchall()
        return [Override(*row) for row in rows]

    # -- whole assessments (backup) ------------------------------------------------------------

    def dump(self, aid: str) -> Dump:
        """Everything held about one assessment, read in one snapshot."""
        with self._reading() as connection:
            row = connection.execute("SELECT id, name, lang, created, updated FROM assessments WHERE id = ?",
                                     (aid,)).fetchone()
            if row is None:
                raise UnknownAssessmentError(f"no assessment {aid!r} in {self.path}")
            versions = tuple(Version(*v) for v in connection.execute(
                "SELECT assessment_id, number, answers, author, note, created FROM versions "
                "WHERE assessment_id = ? ORDER BY number", (aid,)))
            records = {int(n): str(audit) for n, audit in connection.execute(
                "SELECT number, audit FROM records WHERE assessment_id = ? ORDER BY number", (aid,))}
            overrides = tuple(Override(*o) for o in connection.execute(
                "SELECT assessment_id, version, flow_id, option, reason, author, created FROM overrides "
                "WHERE assessment_id = ? ORDER BY id", (aid,)))
            d = connection.execute("SELECT answers, state, updated FROM drafts WHERE assessment_id = ?",
                                   (aid,)).fetchone()
            s = connection.execute("SELECT answers FROM scratch WHERE assessment_id = ?", (aid,)).fetchone()
        return Dump(Assessment(*row), versions, records, overrides,
                    Draft(aid, d[0], json.loads(d[1]), d[2]) if d else None, str(s[0]) if s else None)

    def restore(self, dumps: list[Dump], *, replace: bool = False) -> None:
        """Put whole assessments back as they were dumped (ids, numbers and times kept), all or none.
        An id the store already holds is refused (``StoreError`` listing them) unless ``replace``,
        which removes the held assessment first."""
        with self._writing() as connection:
            held = [row for d in dumps for row in connection.execute(
                "SELECT id, name FROM assessments WHERE id = ?", (d.assessment.id,))]
            if held and not replace:
                raise StoreError(
                    f"{self.path} already holds {len(held)} of these assessments: nothing was imported; add "
                    "--replace to replace them",
                    tuple(Problem(str(self.path), None, "", f"assessment {aid!r} ({name!r}) exists")
                          for aid, name in held))
            for dump in dumps:
                a = dump.assessment
                connection.execute("DELETE FROM assessments WHERE id = ?", (a.id,))
                connection.execute("INSERT INTO assessments (id, name, lang, created, updated) VALUES (?, ?, ?, ?, ?)",
                                   (a.id, a.name, a.lang, a.created, a.updated))
                connection.executemany(
                    "INSERT INTO versions (assessment_id, number, answers, author, note, created) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(a.id, v.number, v.answers, v.author, v.note, v.created) for v in dump.versions])
                connection.executemany(
                    "INSERT INTO records (assessment_id, number, audit, created) VALUES (?, ?, ?, ?)",
                    [(a.id, n, audit, a.updated) for n, audit in dump.records.items()])
                self._insert_overrides(connection, a.id, dump.overrides)
                if dump.draft is not None:
                    connection.execute(
                        "INSERT INTO drafts (assessment_id, answers, state, updated) VALUES (?, ?, ?, ?)",
                        (a.id, dump.draft.answers, json.dumps(dump.draft.state, ensure_ascii=False, sort_keys=True),
                         dump.draft.updated))
                if dump.scratch is not None:
                    connection.execute("INSERT INTO scratch (assessment_id, answers, updated) VALUES (?, ?, ?)",
                                       (a.id, dump.scratch, a.updated))

    # -- health --------------------------------------------------------------------------------

    def integrity(self) -> list[str]:
        """SQLite's ``integrity_check`` and ``foreign_key_check``: an empty list when the file is sound."""
        connection = self._connection()
        try:
            found = [str(row[0]) for row in connection.execute("PRAGMA integrity_check")]
            broken = connection.execute("PRAGMA foreign_key_check").fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        problems = [] if found == ["ok"] else found
        return problems + [f"{row[0]} row {row[1]} refers to a missing {row[2]}" for row in broken]
