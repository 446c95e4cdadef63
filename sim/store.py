"""Where runs, decisions and training-day sessions are kept: SQLite (WAL) by default, PostgreSQL by URL.

Every decision is written in its own transaction before the trainee sees it confirmed, together
with the run's new state, so a crash loses nothing that was shown. Trainees are pseudonymous: the
store holds a pseudonym of their choosing and never a real name.

The store speaks the plain DB-API: SQLite through the standard library's :mod:`sqlite3`, PostgreSQL
through psycopg 3 (imported only when a PostgreSQL URL is used), so a trainee's kernel loads no
database toolkit. SQL is written once, with ``:name`` parameters (:func:`_sql` turns them into
psycopg's ``%(name)s``); what differs between the two databases is in :data:`_DIALECTS`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sim import data_dir

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a room
CODE_LENGTH = 6  # 32**6 ≈ 1.07e9 codes
BUSY_TIMEOUT = 10  # seconds a SQLite writer waits for another kernel's transaction

# --- the schema -----------------------------------------------------------------------------------
# The same tables, columns, constraints and index names as the SQLAlchemy version of this module
# created, so existing databases keep working. {serial} and {timestamp} come from _DIALECTS.

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sessions (
    code VARCHAR(16) NOT NULL,
    title VARCHAR(200) NOT NULL,
    scenarios TEXT NOT NULL,
    mode VARCHAR(16) NOT NULL,
    created_at {timestamp} NOT NULL,
    closed BOOLEAN NOT NULL,
    PRIMARY KEY (code)
)""",
    """CREATE TABLE IF NOT EXISTS participants (
    id VARCHAR(36) NOT NULL,
    session_code VARCHAR(16),
    pseudonym VARCHAR(40),
    token VARCHAR(64) NOT NULL,
    created_at {timestamp} NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_pseudonym_in_session UNIQUE (session_code, pseudonym),
    FOREIGN KEY (session_code) REFERENCES sessions (code) ON DELETE CASCADE,
    UNIQUE (token)
)""",
    "CREATE INDEX IF NOT EXISTS ix_participants_session_code ON participants (session_code)",
    """CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR(36) NOT NULL,
    participant_id VARCHAR(36) NOT NULL,
    session_code VARCHAR(16),
    scenario VARCHAR(80) NOT NULL,
    digest VARCHAR(32) NOT NULL,
    mode VARCHAR(16) NOT NULL,
    seed INTEGER NOT NULL,
    decisions INTEGER NOT NULL,
    node VARCHAR(80),
    ending VARCHAR(80),
    score FLOAT,
    state TEXT NOT NULL,
    report TEXT,
    created_at {timestamp} NOT NULL,
    updated_at {timestamp} NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (participant_id) REFERENCES participants (id) ON DELETE CASCADE
)""",
    "CREATE INDEX IF NOT EXISTS ix_runs_participant_id ON runs (participant_id)",
    "CREATE INDEX IF NOT EXISTS ix_runs_session_code ON runs (session_code)",
    # The dashboard polls "what changed in this session since t" without reading state or report.
    "CREATE INDEX IF NOT EXISTS ix_runs_session_updated ON runs (session_code, updated_at)",
    """CREATE TABLE IF NOT EXISTS decisions (
    id {serial} NOT NULL,
    run_id VARCHAR(36) NOT NULL,
    seq INTEGER NOT NULL,
    node VARCHAR(80) NOT NULL,
    choice TEXT NOT NULL,
    clock FLOAT NOT NULL,
    created_at {timestamp} NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_decision_seq UNIQUE (run_id, seq),
    FOREIGN KEY (run_id) REFERENCES runs (id) ON DELETE CASCADE
)""",
    "CREATE INDEX IF NOT EXISTS ix_decisions_run_id ON decisions (run_id)",
)

# Everything that differs between SQLite and PostgreSQL. In SQLite, an INTEGER primary key is the
# row id (numbered automatically) and DATETIME is text such as '2026-11-22 06:06:01.123456' (UTC).
_DIALECTS: dict[str, dict[str, str]] = {
    "sqlite": {
        "serial": "INTEGER",
        "timestamp": "DATETIME",
        "begin": "BEGIN IMMEDIATE",
        "catalog": "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')",
    },
    "postgresql": {
        "serial": "SERIAL",
        "timestamp": "TIMESTAMP WITH TIME ZONE",
        "begin": "BEGIN",
        "catalog": "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"
        " UNION SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()",
    },
}
SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy wrote, so old data folders stay readable

SESSION_COLUMNS = ("code", "title", "scenarios", "mode", "created_at", "closed")
PARTICIPANT_COLUMNS = ("id", "session_code", "pseudonym", "token", "created_at")
RUN_COLUMNS = (
    "id",
    "participant_id",
    "session_code",
    "scenario",
    "digest",
    "mode",
    "seed",
    "decisions",
    "node",
    "ending",
    "score",
    "state",
    "report",
    "created_at",
    "updated_at",
)
DECISION_COLUMNS = ("run_id", "seq", "node", "choice", "clock", "created_at")  # id is numbered by the database
RUN_SUMMARY_COLUMNS = (
    "id",
    "participant_id",
    "scenario",
    "mode",
    "decisions",
    "node",
    "ending",
    "score",
    "created_at",
    "updated_at",
)
CHUNK = 500  # ids per IN (...) list: well below SQLite's and PostgreSQL's parameter limits


def _now() -> datetime:
    return datetime.now(UTC)


def default_url() -> str:
    """``SIM_DATABASE_URL``, else SQLite in ``SIM_DATA_DIR`` (default ``./data``)."""
    url = os.environ.get("SIM_DATABASE_URL")
    if url:
        return url
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'sim.db'}"


def new_code() -> str:
    """A short session code that is hard to guess (CSPRNG, 6 characters of 32)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """Upper-case, without spaces or dashes, as people type codes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def insert_sql(table: str, columns: Iterable[str]) -> str:
    """``INSERT INTO table (a, b) VALUES (:a, :b)``: a statement for :meth:`Connection.execute` and ``executemany``."""
    columns = list(columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"


class StoreError(ValueError):
    """A request the store cannot fulfil (unknown session, pseudonym taken...); English message."""


class IntegrityError(StoreError):
    """A statement broke a unique, foreign-key or not-null constraint (either database)."""


@dataclass(frozen=True)
class RunRow:
    """A run as stored."""

    id: str
    participant_id: str
    session_code: str | None
    scenario: str
    mode: str
    decisions: int
    node: str | None
    ending: str | None
    score: float | None
    state: str
    report: str | None


# --- SQL and values, in one place for both databases ---------------------------------------------

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=256)
def _sql(sql: str, dialect: str) -> str:
    """``sql`` as the driver wants it: sqlite3 takes ``:name``; psycopg takes ``%(name)s`` (and ``%%``).

    Write parameters, not literals: a ``:word`` inside a quoted string would be taken for one.
    """
    if dialect == "sqlite":
        return sql
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


def _param(value: Any, dialect: str) -> Any:
    """A value as stored: datetimes in UTC, in SQLite as text in SQLAlchemy's format."""
    if isinstance(value, datetime):
        value = _utc(value)
        if dialect == "sqlite":
            return value.strftime(SQLITE_TIME_FORMAT)
    return value


def _params(params: Mapping[str, Any] | None, dialect: str) -> dict[str, Any]:
    return {k: _param(v, dialect) for k, v in (params or {}).items()}


def _utc(value: Any) -> datetime:
    """A timestamp (SQLite text, or a datetime; naive ones are UTC) as an aware UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Result columns converted by name: SQLite returns text for timestamps and 0/1 for booleans.
_CONVERT = {"created_at": _utc, "updated_at": _utc, "closed": bool}


def _in(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``:name_0, :name_1, ...`` for ``IN (...)`` and their parameters."""
    keys = [f"{name}_{i}" for i in range(len(values))]
    return ", ".join(":" + k for k in keys), dict(zip(keys, values, strict=True))


class Result:
    """The rows (as dicts) and row count of one statement, fetched at once."""

    def __init__(self, cursor: Any) -> None:
        self.rowcount: int = cursor.rowcount
        self.rows: list[dict[str, Any]] = []
        if cursor.description is not None:
            names = [d[0] for d in cursor.description]
            convert = [(n, _CONVERT[n]) for n in names if n in _CONVERT]
            for values in cursor.fetchall():
                row = dict(zip(names, values, strict=True))
                for name, fn in convert:
                    if row[name] is not None:
                        row[name] = fn(row[name])
                self.rows.append(row)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def all(self) -> list[dict[str, Any]]:
        """Every row."""
        return self.rows

    def first(self) -> dict[str, Any] | None:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        """The first column of the first row, or None."""
        return next(iter(self.rows[0].values())) if self.rows else None


class Connection:
    """One database connection: run SQL written with ``:name`` parameters on either database."""

    def __init__(self, raw: Any, dialect: str) -> None:
        self.raw = raw
        self.dialect = dialect
        if dialect == "sqlite":
            self._integrity: tuple[type[BaseException], ...] = (sqlite3.IntegrityError,)
        else:
            import psycopg

            self._integrity = (psycopg.IntegrityError,)

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Result:
        """Run one statement; constraint violations raise :class:`IntegrityError`."""
        try:
            return Result(self.raw.execute(_sql(sql, self.dialect), _params(params, self.dialect)))
        except self._integrity as exc:
            raise IntegrityError(str(exc).strip()) from exc

    def executemany(self, sql: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Run one statement for each parameter set in ``rows`` (bulk inserts)."""
        rows = [_params(r, self.dialect) for r in rows]
        if not rows:
            return
        try:
            if self.dialect == "sqlite":
                self.raw.executemany(_sql(sql, self.dialect), rows)
            else:
                with self.raw.cursor() as cur:
                    cur.executemany(_sql(sql, self.dialect), rows)
        except self._integrity as exc:
            raise IntegrityError(str(exc).strip()) from exc


def _sqlite_path(url: str) -> str:
    """The file of a ``sqlite:///path`` URL (``sqlite:////abs/path``, ``sqlite:///rel/path``)."""
    rest = url.split(":", 1)[1]
    if not rest.startswith("//"):
        raise StoreError(f"not a SQLite URL: {url!r}")
    path = rest[2:]
    path = path[1:] if path.startswith("/") else path
    if path in ("", ":memory:"):
        return ":memory:"
    return path


def _dialect_of(url: str) -> str:
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme == "sqlite":
        return "sqlite"
    if scheme in ("postgresql", "postgres"):
        return "postgresql"
    raise StoreError(f"unsupported database URL {url.split(':', 1)[0]!r}: use sqlite:/// or postgresql://")


class Store:
    """Access to the results database.

    Each thread gets its own connection (the facilitator's dashboard reads from more than one).
    Reads run on their own; writes run in :meth:`tx`, one transaction each.
    """

    def __init__(self, url: str | None = None) -> None:
        """Open (and create if needed) the database at ``url``.

        ``sqlite:///path/to/file.db`` or ``postgresql://user:password@host/db`` (the SQLAlchemy
        spelling ``postgresql+psycopg://`` is accepted too).
        """
        self.url = url or default_url()
        self.dialect = _dialect_of(self.url)
        self._lock = threading.Lock()
        self._conns: dict[threading.Thread, Connection] = {}
        self._memory: sqlite3.Connection | None = None
        if self.dialect == "sqlite":
            self._target = _sqlite_path(self.url)
            if self._target == ":memory:":  # one database for every thread, alive as long as the store
                self._target = f"file:sim-{uuid.uuid4().hex}?mode=memory&cache=shared"
                self._memory = sqlite3.connect(self._target, uri=True, check_same_thread=False)
        else:
            self._target = "postgresql:" + self.url.split(":", 1)[1]  # psycopg takes the URL without a driver name
        self._create_schema()

    # -- connections and transactions ---------------------------------------------------------
    def _connect(self) -> Any:
        if self.dialect == "sqlite":
            raw = sqlite3.connect(
                self._target,
                timeout=BUSY_TIMEOUT,
                isolation_level=None,  # no implicit transactions: tx() says BEGIN IMMEDIATE itself
                check_same_thread=False,  # each thread has its own; dispose() may close them from another
                uri=self._memory is not None,
            )
            _sqlite_pragmas(raw)
            return raw
        import psycopg

        return psycopg.connect(self._target, autocommit=True)

    def _connection(self) -> Connection:
        """This thread's connection (opened, or opened again after it broke)."""
        thread = threading.current_thread()
        conn = self._conns.get(thread)
        if conn is not None and (self.dialect == "sqlite" or not (conn.raw.closed or conn.raw.broken)):
            return conn
        conn = Connection(self._connect(), self.dialect)
        with self._lock:
            for gone in [t for t in self._conns if not t.is_alive()]:
                _close(self._conns.pop(gone))
            if thread in self._conns:
                _close(self._conns.pop(thread))
            self._conns[thread] = conn
        return conn

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back when it raises.

        In SQLite it begins IMMEDIATE, so a writer waits (up to :data:`BUSY_TIMEOUT`) for another
        kernel's transaction instead of failing halfway. Run statements with
        ``conn.execute("... :name ...", {"name": value})``.
        """
        conn = self._connection()
        try:
            conn.execute(_DIALECTS[self.dialect]["begin"])
        except Exception:
            if self.dialect == "sqlite" or not conn.raw.broken:
                raise
            conn = self._connection()  # PostgreSQL dropped the connection while idle: nothing was sent yet
            conn.execute(_DIALECTS[self.dialect]["begin"])
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            with suppress(Exception):  # when the connection is gone, the database rolled back itself
                conn.execute("ROLLBACK")
            raise

    def _read(self, sql: str, params: Mapping[str, Any] | None = None) -> Result:
        """One read statement, outside a transaction (retried once on a dropped PostgreSQL connection)."""
        conn = self._connection()
        try:
            return conn.execute(sql, params)
        except Exception:
            if self.dialect == "sqlite" or not conn.raw.broken:
                raise
            return self._connection().execute(sql, params)

    def _create_schema(self) -> None:
        """Create the tables and indexes that are missing.

        Only what is missing: in PostgreSQL even ``CREATE INDEX IF NOT EXISTS`` locks its table, which
        would hold up (or deadlock with) the kernels that are writing while another one starts.
        """
        names = _DIALECTS[self.dialect]
        if {_name(ddl) for ddl in SCHEMA} <= {r["name"] for r in self._read(names["catalog"])}:
            return
        with self.tx() as conn:
            if self.dialect == "postgresql":  # kernels starting together must not race on CREATE TABLE
                conn.execute("SELECT pg_advisory_xact_lock(7401203)")
            existing = {r["name"] for r in conn.execute(names["catalog"])}
            for ddl in SCHEMA:
                if _name(ddl) not in existing:
                    conn.execute(ddl.format(**names))

    def dispose(self) -> None:
        """Close the database connections of this store (it opens new ones when used again)."""
        with self._lock:
            conns, self._conns = list(self._conns.values()), {}
        for conn in conns:
            _close(conn)

    # -- sessions ----------------------------------------------------------------------------
    def create_session(self, scenarios: list[str], title: str = "Studiedag") -> str:
        """Create a training-day session for ``scenarios``; return its code."""
        if not scenarios:
            raise StoreError("a session needs at least one scenario")
        for _ in range(20):
            code = new_code()
            try:
                with self.tx() as conn:
                    conn.execute(
                        insert_sql("sessions", SESSION_COLUMNS),
                        {
                            "code": code,
                            "title": title[:200],
                            "scenarios": json.dumps(scenarios),
                            "mode": "studiedag",
                            "created_at": _now(),
                            "closed": False,
                        },
                    )
                return code
            except IntegrityError:
                continue
        raise StoreError("could not find a free session code")  # pragma: no cover

    def session(self, code: str) -> dict[str, Any] | None:
        """A session by code (None when unknown)."""
        row = self._read(
            f"SELECT {', '.join(SESSION_COLUMNS)} FROM sessions WHERE code = :code", {"code": normalise_code(code)}
        ).first()
        if row is None:
            return None
        row["scenarios"] = json.loads(row["scenarios"])
        return row

    def list_sessions(self) -> list[dict[str, Any]]:
        """All sessions with their number of participants and runs."""
        rows = self._read(
            f"""SELECT {", ".join("s." + c for c in SESSION_COLUMNS)},
                (SELECT count(*) FROM participants p WHERE p.session_code = s.code) AS participants,
                (SELECT count(*) FROM runs r WHERE r.session_code = s.code) AS runs,
                (SELECT count(*) FROM runs r WHERE r.session_code = s.code AND r.ending IS NOT NULL) AS finished
            FROM sessions s ORDER BY s.created_at"""
        ).all()
        for row in rows:
            row["scenarios"] = json.loads(row["scenarios"])
        return rows

    def purge_session(self, code: str) -> dict[str, int]:
        """Delete a session and everything of it; return what was deleted."""
        code = normalise_code(code)
        params = {"code": code}
        with self.tx() as conn:
            if conn.execute("SELECT code FROM sessions WHERE code = :code", params).first() is None:
                raise StoreError(f"unknown session '{code}'")
            n_dec = conn.execute(
                "DELETE FROM decisions WHERE run_id IN (SELECT id FROM runs WHERE session_code = :code)", params
            ).rowcount
            n_runs = conn.execute("DELETE FROM runs WHERE session_code = :code", params).rowcount
            n_part = conn.execute("DELETE FROM participants WHERE session_code = :code", params).rowcount
            conn.execute("DELETE FROM sessions WHERE code = :code", params)
        return {"decisions": n_dec, "runs": n_runs, "participants": n_part}

    # -- participants ------------------------------------------------------------------------
    def join(self, session_code: str | None = None, pseudonym: str | None = None) -> tuple[str, str, bool]:
        """Join a session (or play alone); return (participant id, resume token, rejoined?).

        Joining again with the same pseudonym in the same session returns the same participant, so a
        trainee who refreshed the page continues where they were.
        """
        code = normalise_code(session_code) if session_code else None
        name = (pseudonym or "").strip()[:40] or None
        with self.tx() as conn:
            if code is not None:
                sess = conn.execute("SELECT closed FROM sessions WHERE code = :code", {"code": code}).first()
                if sess is None:
                    raise StoreError(f"unknown session '{code}'")
                if sess["closed"]:
                    raise StoreError(f"session '{code}' is closed")
                if name is None:
                    raise StoreError("a pseudonym is needed to join a session")
                found = conn.execute(
                    "SELECT id, token FROM participants WHERE session_code = :code AND pseudonym = :name",
                    {"code": code, "name": name},
                ).first()
                if found is not None:
                    return found["id"], found["token"], True
            pid, token = str(uuid.uuid4()), secrets.token_urlsafe(16)
            conn.execute(
                insert_sql("participants", PARTICIPANT_COLUMNS),
                {"id": pid, "session_code": code, "pseudonym": name, "token": token, "created_at": _now()},
            )
        return pid, token, False

    def participant_by_token(self, token: str) -> dict[str, Any] | None:
        """A participant by resume token."""
        return self._read(
            f"SELECT {', '.join(PARTICIPANT_COLUMNS)} FROM participants WHERE token = :token", {"token": token}
        ).first()

    # -- runs --------------------------------------------------------------------------------
    def start_run(
        self,
        participant_id: str,
        scenario: str,
        digest: str,
        mode: str,
        seed: int,
        state_json: str,
        node: str | None,
        session_code: str | None = None,
    ) -> str:
        """Store a new run; return its id."""
        rid = str(uuid.uuid4())
        now = _now()
        with self.tx() as conn:
            conn.execute(
                insert_sql("runs", RUN_COLUMNS),
                {
                    "id": rid,
                    "participant_id": participant_id,
                    "session_code": normalise_code(session_code) or None,
                    "scenario": scenario,
                    "digest": digest,
                    "mode": mode,
                    "seed": seed,
                    "decisions": 0,
                    "node": node,
                    "ending": None,
                    "score": None,
                    "state": state_json,
                    "report": None,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        return rid

    def record_decision(
        self,
        run_id: str,
        seq: int,
        node: str,
        choice: str,
        clock: float,
        state_json: str,
        new_node: str | None,
        ending: str | None,
        score: float | None = None,
        report_json: str | None = None,
    ) -> None:
        """Store decision number ``seq`` and the run's new state in one transaction.

        Storing the same ``seq`` twice is refused (a double click cannot fork a run).
        """
        now = _now()
        try:
            with self.tx() as conn:
                conn.execute(
                    insert_sql("decisions", DECISION_COLUMNS),
                    {"run_id": run_id, "seq": seq, "node": node, "choice": choice, "clock": clock, "created_at": now},
                )
                result = conn.execute(
                    """UPDATE runs SET decisions = :seq, state = :state, node = :node, ending = :ending,
                        score = :score, report = :report, updated_at = :now
                    WHERE id = :run_id AND decisions = :before""",
                    {
                        "seq": seq,
                        "state": state_json,
                        "node": new_node,
                        "ending": ending,
                        "score": score,
                        "report": report_json,
                        "now": now,
                        "run_id": run_id,
                        "before": seq - 1,
                    },
                )
                if result.rowcount != 1:
                    raise StoreError(f"run '{run_id}' is not at decision {seq - 1}")
        except IntegrityError as exc:  # the same seq stored twice (a double click, a second tab)
            raise StoreError(f"run '{run_id}' already has decision {seq}") from exc

    def run(self, run_id: str) -> RunRow | None:
        """A run by id."""
        row = self._read(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE id = :id", {"id": run_id}).first()
        return _run_row(row) if row else None

    def open_run(self, participant_id: str, scenario: str | None = None) -> RunRow | None:
        """The participant's most recent unfinished run (optionally of one scenario)."""
        sql = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE participant_id = :pid AND ending IS NULL"
        if scenario:
            sql += " AND scenario = :scenario"
        row = self._read(
            sql + " ORDER BY updated_at DESC LIMIT 1", {"pid": participant_id, "scenario": scenario}
        ).first()
        return _run_row(row) if row else None

    def runs_of(self, participant_id: str) -> list[RunRow]:
        """All runs of a participant, newest first."""
        rows = self._read(
            f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE participant_id = :pid ORDER BY updated_at DESC",
            {"pid": participant_id},
        )
        return [_run_row(r) for r in rows]

    # -- reading a session's results ---------------------------------------------------------
    def session_runs(self, code: str) -> list[dict[str, Any]]:
        """Every run of a session with the participant's pseudonym."""
        return self._read(
            f"""SELECT {", ".join("r." + c for c in RUN_COLUMNS)}, p.pseudonym
            FROM runs r JOIN participants p ON p.id = r.participant_id
            WHERE r.session_code = :code ORDER BY r.created_at""",
            {"code": normalise_code(code)},
        ).all()

    def session_participants(self, code: str, since: datetime | None = None) -> list[dict[str, Any]]:
        """Participants of a session in the order they joined (only those joined at or after ``since``)."""
        sql = "SELECT id, pseudonym, created_at FROM participants WHERE session_code = :code"
        if since is not None:
            sql += " AND created_at >= :since"
        return self._read(sql + " ORDER BY created_at, id", {"code": normalise_code(code), "since": since}).all()

    def session_decisions(self, code: str) -> list[dict[str, Any]]:
        """Every decision of a session, in order, with the run's scenario and participant."""
        return self._read(
            """SELECT d.run_id, d.seq, d.node, d.choice, d.clock, d.created_at, r.scenario, r.participant_id
            FROM decisions d JOIN runs r ON r.id = d.run_id
            WHERE r.session_code = :code ORDER BY d.run_id, d.seq""",
            {"code": normalise_code(code)},
        ).all()

    # -- lean reads for the facilitator's dashboard (no run state, no report unless asked) -----
    def session_run_rows(self, code: str, since: datetime | None = None) -> list[dict[str, Any]]:
        """A session's runs without state or report (only those changed at or after ``since``).

        This is what the facilitator's dashboard polls every few seconds.
        """
        sql = f"SELECT {', '.join(RUN_SUMMARY_COLUMNS)} FROM runs WHERE session_code = :code"
        if since is not None:
            sql += " AND updated_at >= :since"
        return self._read(sql + " ORDER BY created_at, id", {"code": normalise_code(code), "since": since}).all()

    def decisions_of(self, code: str, run_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Decisions (run, seq, node, choice) of a session's runs, all or only those of ``run_ids``."""
        sql = """SELECT d.run_id, d.seq, d.node, d.choice FROM decisions d JOIN runs r ON r.id = d.run_id
            WHERE r.session_code = :code"""
        return list(self._rows_of_runs(sql, code, run_ids, "d.run_id", " ORDER BY d.run_id, d.seq"))

    def reports_of(self, code: str, run_ids: Sequence[str] | None = None) -> dict[str, str]:
        """Stored score reports (JSON text) of a session's finished runs, all or only those of ``run_ids``."""
        sql = "SELECT id, report FROM runs WHERE session_code = :code AND report IS NOT NULL"
        return {r["id"]: r["report"] for r in self._rows_of_runs(sql, code, run_ids, "id")}

    def states_of(self, code: str, run_ids: Sequence[str]) -> dict[str, str]:
        """Stored run states (JSON text) of some of a session's runs."""
        sql = "SELECT id, state FROM runs WHERE session_code = :code"
        return {r["id"]: r["state"] for r in self._rows_of_runs(sql, code, run_ids, "id")}

    def _rows_of_runs(
        self, sql: str, code: str, run_ids: Sequence[str] | None, column: str, order: str = ""
    ) -> Iterator[dict[str, Any]]:
        """Rows of ``sql`` (which filters on ``:code``), for all runs or only ``run_ids`` (``column IN``, chunked)."""
        for chunk in _chunks(run_ids):
            params = {"code": normalise_code(code)}
            where = ""
            if chunk is not None:
                listed, ids = _in("id", chunk)
                where = f" AND {column} IN ({listed})"
                params.update(ids)
            yield from self._read(sql + where + order, params)

    def close_session(self, code: str, closed: bool = True) -> None:
        """Close a session to new participants (or open it again); who joined can still resume."""
        with self.tx() as conn:
            result = conn.execute(
                "UPDATE sessions SET closed = :closed WHERE code = :code",
                {"closed": closed, "code": normalise_code(code)},
            )
            if result.rowcount != 1:
                raise StoreError(f"unknown session '{normalise_code(code)}'")

    def export(self, code: str, folder: str | Path, formats: tuple[str, ...] = ("csv", "parquet")) -> list[Path]:
        """Write a session's runs and decisions as CSV and/or Parquet; return the files written."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        code = normalise_code(code)
        if self.session(code) is None:
            raise StoreError(f"unknown session '{code}'")
        anon = _anonymiser(code)
        run_rows = [
            {
                "run": r["id"],
                "deelnemer": anon(r["participant_id"]),
                "scenario": r["scenario"],
                "modus": r["mode"],
                "beslissingen": r["decisions"],
                "einde": r["ending"],
                "score": r["score"],
                "gestart": r["created_at"].isoformat(),
                "bijgewerkt": r["updated_at"].isoformat(),
            }
            for r in self.session_runs(code)
        ]
        dec_rows = [
            {
                "run": d["run_id"],
                "deelnemer": anon(d["participant_id"]),
                "scenario": d["scenario"],
                "nr": d["seq"],
                "beslispunt": d["node"],
                "keuze": d["choice"],
                "klok_uur": d["clock"],
                "tijdstip": d["created_at"].isoformat(),
            }
            for d in self.session_decisions(code)
        ]
        written = []
        for name, rows, cols in (
            (
                "runs",
                run_rows,
                ["run", "deelnemer", "scenario", "modus", "beslissingen", "einde", "score", "gestart", "bijgewerkt"],
            ),
            (
                "beslissingen",
                dec_rows,
                ["run", "deelnemer", "scenario", "nr", "beslispunt", "keuze", "klok_uur", "tijdstip"],
            ),
        ):
            if "csv" in formats:
                path = folder / f"{code}-{name}.csv"
                with path.open("w", newline="", encoding="utf-8") as fh:
                    writer = csv.DictWriter(fh, fieldnames=cols)
                    writer.writeheader()
                    writer.writerows(rows)
                written.append(path)
            if "parquet" in formats:
                import pyarrow as pa
                import pyarrow.parquet as pq

                path = folder / f"{code}-{name}.parquet"
                table = pa.Table.from_pylist(rows) if rows else pa.table({c: pa.array([], pa.string()) for c in cols})
                pq.write_table(table, path)
                written.append(path)
        return written


def _chunks(ids: Sequence[str] | None) -> Iterator[list[str] | None]:
    """``None`` once (no filter) or the ids in chunks of :data:`CHUNK`."""
    if ids is None:
        yield None
        return
    ids = list(ids)
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _anonymiser(code: str):
    """Stable per-session participant labels that do not reveal the pseudonym or id."""
    salt = code.encode()

    def label(pid: str) -> str:
        return "d-" + hashlib.sha256(salt + pid.encode()).hexdigest()[:8]

    return label


def _run_row(row: Mapping[str, Any]) -> RunRow:
    return RunRow(
        id=row["id"],
        participant_id=row["participant_id"],
        session_code=row["session_code"],
        scenario=row["scenario"],
        mode=row["mode"],
        decisions=row["decisions"],
        node=row["node"],
        ending=row["ending"],
        score=row["score"],
        state=row["state"],
        report=row["report"],
    )


def _name(ddl: str) -> str:
    """The table or index that a statement of :data:`SCHEMA` creates."""
    return ddl.split("IF NOT EXISTS ", 1)[1].split(None, 1)[0]


def _close(conn: Connection) -> None:
    with suppress(Exception):  # closing a connection that is already gone
        conn.raw.close()


def _sqlite_pragmas(raw: sqlite3.Connection) -> None:
    """Every SQLite connection: wait for other writers, WAL, fsync on every commit, enforced foreign keys."""
    raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT * 1000}")  # first, so the WAL switch below waits too
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("PRAGMA foreign_keys=ON")
