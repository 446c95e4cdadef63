"""Where runs, decisions and training-day sessions are kept: SQLite (WAL) by default, PostgreSQL by URL.

Every decision is written in its own transaction before the trainee sees it confirmed, together
with the run's new state, so a crash loses nothing that was shown. Trainees are pseudonymous: the
store holds a pseudonym of their choosing and never a real name.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import secrets
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from sim.protocol import ROOT

DEFAULT_DATA_DIR = ROOT / "data"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a room
CODE_LENGTH = 6  # 32**6 ≈ 1.07e9 codes

metadata = MetaData()

sessions = Table(
    "sessions",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("scenarios", Text, nullable=False),  # JSON list of scenario ids
    Column("mode", String(16), nullable=False, default="studiedag"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed", Boolean, nullable=False, default=False),
)
participants = Table(
    "participants",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("session_code", String(16), ForeignKey("sessions.code", ondelete="CASCADE"), nullable=True, index=True),
    Column("pseudonym", String(40), nullable=True),
    Column("token", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("session_code", "pseudonym", name="uq_pseudonym_in_session"),
)
runs = Table(
    "runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("participant_id", String(36), ForeignKey("participants.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("session_code", String(16), nullable=True, index=True),
    Column("scenario", String(80), nullable=False),
    Column("digest", String(32), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("decisions", Integer, nullable=False, default=0),
    Column("node", String(80), nullable=True),
    Column("ending", String(80), nullable=True),
    Column("score", Float, nullable=True),
    Column("state", Text, nullable=False),
    Column("report", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The dashboard polls "what changed in this session since t" without reading state or report.
    Index("ix_runs_session_updated", "session_code", "updated_at"),
)
decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(36), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("node", String(80), nullable=False),
    Column("choice", Text, nullable=False),
    Column("clock", Float, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("run_id", "seq", name="uq_decision_seq"),
)


def _now() -> datetime:
    return datetime.now(UTC)


def default_url() -> str:
    """``SIM_DATABASE_URL``, else SQLite in ``SIM_DATA_DIR`` (default ``./data``)."""
    url = os.environ.get("SIM_DATABASE_URL")
    if url:
        return url
    folder = Path(os.environ.get("SIM_DATA_DIR") or DEFAULT_DATA_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'sim.db'}"


def new_code() -> str:
    """A short session code that is hard to guess (CSPRNG, 6 characters of 32)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """Upper-case, without spaces or dashes, as people type codes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


class StoreError(ValueError):
    """A request the store cannot fulfil (unknown session, pseudonym taken...); English message."""


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


class Store:
    """Access to the results database."""

    def __init__(self, url: str | None = None) -> None:
        """Open (and create if needed) the database at ``url``."""
        self.url = url or default_url()
        self.engine: Engine = create_engine(self.url, future=True, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)
        for index in runs.indexes:  # databases made before an index was added get it too
            index.create(self.engine, checkfirst=True)

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """One transaction."""
        with self.engine.begin() as conn:
            yield conn

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
                        insert(sessions).values(
                            code=code,
                            title=title[:200],
                            scenarios=json.dumps(scenarios),
                            mode="studiedag",
                            created_at=_now(),
                            closed=False,
                        )
                    )
                return code
            except IntegrityError:
                continue
        raise StoreError("could not find a free session code")  # pragma: no cover

    def session(self, code: str) -> dict[str, Any] | None:
        """A session by code (None when unknown)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(sessions).where(sessions.c.code == normalise_code(code))).mappings().first()
        if row is None:
            return None
        out = dict(row)
        out["scenarios"] = json.loads(out["scenarios"])
        return out

    def list_sessions(self) -> list[dict[str, Any]]:
        """All sessions with their number of participants and runs."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(sessions).order_by(sessions.c.created_at)).mappings().all()
            out = []
            for row in rows:
                n_part = conn.execute(
                    select(func.count()).select_from(participants).where(participants.c.session_code == row["code"])
                ).scalar_one()
                n_runs = conn.execute(
                    select(func.count()).select_from(runs).where(runs.c.session_code == row["code"])
                ).scalar_one()
                n_done = conn.execute(
                    select(func.count())
                    .select_from(runs)
                    .where(runs.c.session_code == row["code"], runs.c.ending.is_not(None))
                ).scalar_one()
                item = dict(row)
                item["scenarios"] = json.loads(item["scenarios"])
                item.update(participants=n_part, runs=n_runs, finished=n_done)
                out.append(item)
        return out

    def purge_session(self, code: str) -> dict[str, int]:
        """Delete a session and everything of it; return what was deleted."""
        code = normalise_code(code)
        with self.tx() as conn:
            if conn.execute(select(sessions.c.code).where(sessions.c.code == code)).first() is None:
                raise StoreError(f"unknown session '{code}'")
            run_ids = select(runs.c.id).where(runs.c.session_code == code)
            n_dec = conn.execute(delete(decisions).where(decisions.c.run_id.in_(run_ids))).rowcount
            n_runs = conn.execute(delete(runs).where(runs.c.session_code == code)).rowcount
            n_part = conn.execute(delete(participants).where(participants.c.session_code == code)).rowcount
            conn.execute(delete(sessions).where(sessions.c.code == code))
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
                sess = conn.execute(select(sessions).where(sessions.c.code == code)).mappings().first()
                if sess is None:
                    raise StoreError(f"unknown session '{code}'")
                if sess["closed"]:
                    raise StoreError(f"session '{code}' is closed")
                if name is None:
                    raise StoreError("a pseudonym is needed to join a session")
                found = conn.execute(
                    select(participants.c.id, participants.c.token).where(
                        participants.c.session_code == code, participants.c.pseudonym == name
                    )
                ).first()
                if found is not None:
                    return found.id, found.token, True
            pid, token = str(uuid.uuid4()), secrets.token_urlsafe(16)
            conn.execute(
                insert(participants).values(id=pid, session_code=code, pseudonym=name, token=token, created_at=_now())
            )
        return pid, token, False

    def participant_by_token(self, token: str) -> dict[str, Any] | None:
        """A participant by resume token."""
        with self.engine.connect() as conn:
            row = conn.execute(select(participants).where(participants.c.token == token)).mappings().first()
        return dict(row) if row else None

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
                insert(runs).values(
                    id=rid,
                    participant_id=participant_id,
                    session_code=normalise_code(session_code) or None,
                    scenario=scenario,
                    digest=digest,
                    mode=mode,
                    seed=seed,
                    decisions=0,
                    node=node,
                    ending=None,
                    score=None,
                    state=state_json,
                    report=None,
                    created_at=now,
                    updated_at=now,
                )
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
        try:
            with self.tx() as conn:
                conn.execute(
                    insert(decisions).values(
                        run_id=run_id, seq=seq, node=node, choice=choice, clock=clock, created_at=_now()
                    )
                )
                result = conn.execute(
                    update(runs)
                    .where(runs.c.id == run_id, runs.c.decisions == seq - 1)
                    .values(
                        decisions=seq,
                        state=state_json,
                        node=new_node,
                        ending=ending,
                        score=score,
                        report=report_json,
                        updated_at=_now(),
                    )
                )
                if result.rowcount != 1:
                    raise StoreError(f"run '{run_id}' is not at decision {seq - 1}")
        except IntegrityError as exc:  # the same seq stored twice (a double click, a second tab)
            raise StoreError(f"run '{run_id}' already has decision {seq}") from exc

    def run(self, run_id: str) -> RunRow | None:
        """A run by id."""
        with self.engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
        return _run_row(row) if row else None

    def open_run(self, participant_id: str, scenario: str | None = None) -> RunRow | None:
        """The participant's most recent unfinished run (optionally of one scenario)."""
        query = select(runs).where(runs.c.participant_id == participant_id, runs.c.ending.is_(None))
        if scenario:
            query = query.where(runs.c.scenario == scenario)
        with self.engine.connect() as conn:
            row = conn.execute(query.order_by(runs.c.updated_at.desc()).limit(1)).mappings().first()
        return _run_row(row) if row else None

    def runs_of(self, participant_id: str) -> list[RunRow]:
        """All runs of a participant, newest first."""
        with self.engine.connect() as conn:
            rows = (
                conn.execute(
                    select(runs).where(runs.c.participant_id == participant_id).order_by(runs.c.updated_at.desc())
                )
                .mappings()
                .all()
            )
        return [_run_row(r) for r in rows]

    # -- reading a session's results ---------------------------------------------------------
    def session_runs(self, code: str) -> list[dict[str, Any]]:
        """Every run of a session with the participant's pseudonym."""
        query = (
            select(runs, participants.c.pseudonym)
            .join(participants, participants.c.id == runs.c.participant_id)
            .where(runs.c.session_code == normalise_code(code))
            .order_by(runs.c.created_at)
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]

    def session_participants(self, code: str, since: datetime | None = None) -> list[dict[str, Any]]:
        """Participants of a session in the order they joined (only those joined at or after ``since``)."""
        query = select(participants.c.id, participants.c.pseudonym, participants.c.created_at).where(
            participants.c.session_code == normalise_code(code)
        )
        if since is not None:
            query = query.where(participants.c.created_at >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(participants.c.created_at, participants.c.id)).mappings().all()
        return [dict(r) for r in rows]

    def session_decisions(self, code: str) -> list[dict[str, Any]]:
        """Every decision of a session, in order, with the run's scenario and participant."""
        query = (
            select(
                decisions.c.run_id,
                decisions.c.seq,
                decisions.c.node,
                decisions.c.choice,
                decisions.c.clock,
                decisions.c.created_at,
                runs.c.scenario,
                runs.c.participant_id,
            )
            .join(runs, runs.c.id == decisions.c.run_id)
            .where(runs.c.session_code == normalise_code(code))
            .order_by(decisions.c.run_id, decisions.c.seq)
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]

    # -- lean reads for the facilitator's dashboard (no run state, no report unless asked) -----
    def session_run_rows(self, code: str, since: datetime | None = None) -> list[dict[str, Any]]:
        """A session's runs without state or report (only those changed at or after ``since``).

        This is what the facilitator's dashboard polls every few seconds.
        """
        cols = [runs.c[n] for n in RUN_SUMMARY_COLUMNS]
        query = select(*cols).where(runs.c.session_code == normalise_code(code))
        if since is not None:
            query = query.where(runs.c.updated_at >= since)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query.order_by(runs.c.created_at, runs.c.id)).mappings().all()]

    def decisions_of(self, code: str, run_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Decisions (run, seq, node, choice) of a session's runs, all or only those of ``run_ids``."""
        base = (
            select(decisions.c.run_id, decisions.c.seq, decisions.c.node, decisions.c.choice)
            .join(runs, runs.c.id == decisions.c.run_id)
            .where(runs.c.session_code == normalise_code(code))
        )
        out: list[dict[str, Any]] = []
        with self.engine.connect() as conn:
            for chunk in _chunks(run_ids):
                query = base if chunk is None else base.where(decisions.c.run_id.in_(chunk))
                query = query.order_by(decisions.c.run_id, decisions.c.seq)
                out.extend(dict(r) for r in conn.execute(query).mappings())
        return out

    def reports_of(self, code: str, run_ids: Sequence[str] | None = None) -> dict[str, str]:
        """Stored score reports (JSON text) of a session's finished runs, all or only those of ``run_ids``."""
        base = select(runs.c.id, runs.c.report).where(
            runs.c.session_code == normalise_code(code), runs.c.report.is_not(None)
        )
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(run_ids):
                query = base if chunk is None else base.where(runs.c.id.in_(chunk))
                out.update({r.id: r.report for r in conn.execute(query)})
        return out

    def states_of(self, code: str, run_ids: Sequence[str]) -> dict[str, str]:
        """Stored run states (JSON text) of some of a session's runs."""
        base = select(runs.c.id, runs.c.state).where(runs.c.session_code == normalise_code(code))
        out: dict[str, str] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(run_ids):
                out.update({r.id: r.state for r in conn.execute(base.where(runs.c.id.in_(chunk or [])))})
        return out

    def close_session(self, code: str, closed: bool = True) -> None:
        """Close a session to new participants (or open it again); who joined can still resume."""
        with self.tx() as conn:
            result = conn.execute(update(sessions).where(sessions.c.code == normalise_code(code)).values(closed=closed))
            if result.rowcount != 1:
                raise StoreError(f"unknown session '{normalise_code(code)}'")

    def dispose(self) -> None:
        """Close the database connections of this store."""
        self.engine.dispose()

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


def _run_row(row: Any) -> RunRow:
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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()
