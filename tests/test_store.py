"""Tests for the results store (sim/store.py), each on SQLite and on PostgreSQL (fixture ``store``)."""

from __future__ import annotations

import csv
import threading

import pytest

from sim.groupsim import play_group, random_choice
from sim.runs import SavedRun, scenario_by_id
from sim.store import CODE_ALPHABET, CODE_LENGTH, Store, StoreError, new_code, normalise_code

SCENARIO = "klassenapp-vo3"


@pytest.fixture(scope="module")
def scenario():
    return scenario_by_id(SCENARIO)


def test_session_codes_are_short_and_hard_to_guess(store):
    """Are session codes 6 characters from an alphabet without look-alikes, random and unique?"""
    codes = {store.create_session([SCENARIO]) for _ in range(30)}
    assert len(codes) == 30
    for code in codes:
        assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert not set("01OI") & set(CODE_ALPHABET)
    assert len(CODE_ALPHABET) ** CODE_LENGTH > 10**9
    assert len({new_code() for _ in range(2000)}) == 2000


def test_session_is_found_however_the_code_is_typed(store):
    """Do lower case, spaces and dashes in a typed code find the session?"""
    code = store.create_session([SCENARIO, "mbo-website"], "Studiedag maart")
    typed = f" {code[:3].lower()}-{code[3:]} "
    assert normalise_code(typed) == code
    session = store.session(typed)
    assert session["code"] == code and session["scenarios"] == [SCENARIO, "mbo-website"]
    assert session["title"] == "Studiedag maart" and not session["closed"]
    assert store.session("ZZZZZZ") is None
    with pytest.raises(StoreError):
        store.create_session([])


def test_joining_with_the_same_pseudonym_returns_the_same_participant(store):
    """Does rejoining with code + pseudonym continue as the same participant (a refreshed page)?"""
    code = store.create_session([SCENARIO])
    pid, token, rejoined = store.join(code, "Merel")
    assert not rejoined
    pid2, token2, rejoined2 = store.join(code.lower(), "Merel")
    assert (pid2, token2, rejoined2) == (pid, token, True)
    other, _, _ = store.join(code, "Joost")
    assert other != pid
    assert store.participant_by_token(token)["pseudonym"] == "Merel"
    with pytest.raises(StoreError, match="unknown session"):
        store.join("QQQQQQ", "Merel")
    with pytest.raises(StoreError, match="pseudonym"):
        store.join(code, "  ")


def test_a_closed_session_refuses_newcomers_but_not_returning_people(store):
    """After close_session, is joining refused for everyone (the app shows that in Dutch), and can it reopen?"""
    code = store.create_session([SCENARIO])
    store.join(code, "Merel")
    store.close_session(code)
    with pytest.raises(StoreError, match="closed"):
        store.join(code, "Nieuw")
    store.close_session(code, closed=False)
    assert store.join(code, "Nieuw")[2] is False
    with pytest.raises(StoreError):
        store.close_session("QQQQQQ")


def test_every_decision_is_stored_with_the_runs_state(store, scenario):
    """Is each decision stored (one row) together with the run's new state, so resume continues exactly?"""
    import random

    code = store.create_session([SCENARIO])
    pid, _, _ = store.join(code, "Merel")
    run = SavedRun.begin(store, pid, scenario, "toets", session_code=code)
    rng = random.Random(3)
    for _ in range(4):
        run.choose(random_choice(run.engine, run.state, rng))
    row = store.run(run.run_id)
    assert row.decisions == 4 and row.session_code == code and row.mode == "toets"
    assert [d["seq"] for d in store.session_decisions(code)] == [1, 2, 3, 4]
    again = SavedRun.resume(store, run.run_id)
    assert again.state == run.state
    while not run.state.finished:
        run.choose(random_choice(run.engine, run.state, rng))
    row = store.run(run.run_id)
    assert row.ending == run.state.ending and row.score is not None and row.report
    assert store.open_run(pid) is None


def test_a_decision_cannot_be_stored_twice(store, scenario):
    """Is a second decision with the same number refused as a StoreError (double click, second tab)?"""
    code = store.create_session([SCENARIO])
    pid, _, _ = store.join(code, "Merel")
    run = SavedRun.begin(store, pid, scenario, "toets", session_code=code)
    first = scenario.nodes[scenario.data.start].options[0].id
    stale = SavedRun.resume(store, run.run_id)
    run.choose(first)
    with pytest.raises(StoreError):
        stale.choose(first)
    with pytest.raises(StoreError):
        store.record_decision(run.run_id, 5, "x", "y", 1.0, run.state.to_json(), None, None)
    assert store.run(run.run_id).decisions == 1
    assert len(store.session_decisions(code)) == 1


def test_list_and_purge_sessions(store, scenario):
    """Does list_sessions count participants, runs and finished runs, and purge delete one session entirely?"""
    keep = store.create_session([SCENARIO], "Blijft")
    gone = store.create_session([SCENARIO], "Weg")
    play_group(store, keep, scenario, 2, seed=1)
    play_group(store, gone, scenario, 3, seed=2, finish=False)
    rows = {r["code"]: r for r in store.list_sessions()}
    assert rows[keep]["participants"] == 2 and rows[keep]["runs"] == 2 and rows[keep]["finished"] == 2
    assert rows[gone]["participants"] == 3 and rows[gone]["finished"] == 0
    decisions_kept = len(store.session_decisions(keep))
    counts = store.purge_session(gone.lower())
    assert counts["participants"] == 3 and counts["runs"] == 3
    assert store.session(gone) is None and gone not in {r["code"] for r in store.list_sessions()}
    assert store.session_runs(gone) == [] and store.session_participants(gone) == []
    assert len(store.session_decisions(keep)) == decisions_kept
    with store.tx() as conn:
        orphans = conn.execute("SELECT count(*) FROM decisions WHERE run_id NOT IN (SELECT id FROM runs)")
        assert orphans.scalar() == 0
    with pytest.raises(StoreError):
        store.purge_session(gone)


def test_export_writes_anonymous_csv_and_parquet(store, scenario, tmp_path):
    """Do CSV and Parquet hold every run and decision, with participants as labels, never pseudonyms?"""
    import pyarrow.parquet as pq

    code = store.create_session([SCENARIO])
    play_group(store, code, scenario, 3, seed=5, prefix="geheimenaam")
    written = store.export(code, tmp_path)
    names = sorted(p.name for p in written)
    assert names == sorted(f"{code}-{n}.{ext}" for n in ("runs", "beslissingen") for ext in ("csv", "parquet"))
    with (tmp_path / f"{code}-beslissingen.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(store.session_decisions(code))
    assert pq.read_table(tmp_path / f"{code}-runs.parquet").num_rows == 3
    labels = {r["deelnemer"] for r in rows}
    assert len(labels) == 3 and all(label.startswith("d-") for label in labels)
    for path in written:
        assert b"geheimenaam" not in path.read_bytes()
    with pytest.raises(StoreError):
        store.export("QQQQQQ", tmp_path)


def test_lean_reads_for_the_dashboard(store, scenario):
    """Do the dashboard's reads return only what changed since a moment, and the decisions and reports asked for?"""
    code = store.create_session([SCENARIO])
    ids = play_group(store, code, scenario, 2, seed=7)
    rows = store.session_run_rows(code)
    assert [r["id"] for r in rows] == ids and "state" not in rows[0] and "report" not in rows[0]
    latest = max(r["updated_at"] for r in rows)
    assert store.session_run_rows(code, since=latest + (latest - latest).__class__(seconds=1)) == []
    decs = store.decisions_of(code, [ids[0]])
    assert {d["run_id"] for d in decs} == {ids[0]} and [d["seq"] for d in decs] == list(range(1, len(decs) + 1))
    assert len(store.decisions_of(code)) == len(store.session_decisions(code))
    reports = store.reports_of(code)
    assert set(reports) == set(ids)
    assert set(store.states_of(code, ids[:1])) == {ids[0]}


def test_concurrent_writers_lose_nothing(store_url, scenario):
    """Do eight writers at once (eight kernels) store every decision (SQLite WAL / PostgreSQL)?"""
    setup = Store(store_url)
    code = setup.create_session([SCENARIO])
    errors = []

    def player(i: int) -> None:
        st = Store(store_url)
        try:
            play_group(st, code, scenario, 2, seed=100 + i, prefix=f"w{i}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            st.dispose()

    threads = [threading.Thread(target=player, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    runs = setup.session_runs(code)
    assert len(runs) == 16 and all(r["ending"] for r in runs)
    assert sum(r["decisions"] for r in runs) == len(setup.session_decisions(code))
    setup.dispose()


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path):
    """Is the default SQLite database in WAL mode, fsyncing every commit, in SIM_DATA_DIR?"""
    st = Store(f"sqlite:///{tmp_path / 'sim.db'}")
    assert st.dialect == "sqlite"
    with st.tx() as conn:
        assert conn.execute("PRAGMA journal_mode").scalar().lower() == "wal"
        assert conn.execute("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").scalar() == 1
        assert conn.execute("PRAGMA busy_timeout").scalar() == 10000
    st.dispose()


def test_default_url_follows_the_environment(tmp_path, monkeypatch):
    """Does the store use SIM_DATABASE_URL when set, else SQLite in SIM_DATA_DIR?"""
    from sim.store import default_url

    monkeypatch.delenv("SIM_DATABASE_URL", raising=False)
    monkeypatch.setenv("SIM_DATA_DIR", str(tmp_path / "d"))
    assert default_url() == f"sqlite:///{tmp_path / 'd' / 'sim.db'}"
    monkeypatch.setenv("SIM_DATABASE_URL", "postgresql+psycopg://x@127.0.0.1/y")
    assert default_url() == "postgresql+psycopg://x@127.0.0.1/y"


def test_times_come_back_as_utc_and_sqlite_keeps_sqlalchemys_text(store):
    """Are times returned timezone-aware in UTC, and stored in SQLite as the text the SQLAlchemy version wrote?"""
    from datetime import UTC, datetime, timedelta

    before = datetime.now(UTC)
    code = store.create_session([SCENARIO])
    store.join(code, "Merel")
    session = store.session(code)
    joined = store.session_participants(code)[0]["created_at"]
    for when in (session["created_at"], joined):
        assert when.tzinfo is not None and when.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=1) <= when <= datetime.now(UTC) + timedelta(seconds=1)
    assert session["closed"] is False
    if store.dialect == "sqlite":
        with store.tx() as conn:
            stored = conn.execute("SELECT created_at AS raw FROM sessions WHERE code = :code", {"code": code}).scalar()
        assert isinstance(stored, str) and datetime.strptime(stored, "%Y-%m-%d %H:%M:%S.%f")
        # A run written by the SQLAlchemy version (naive UTC text, closed as 0/1) reads the same.
        pid, _, _ = store.join(code, "Oud")
        with store.tx() as conn:
            conn.execute(
                "INSERT INTO runs (id, participant_id, session_code, scenario, digest, mode, seed, decisions, state,"
                " created_at, updated_at) VALUES ('r-old', :pid, :code, 's', 'd', 'toets', 1, 0, '{}',"
                " '2026-03-01 09:00:00.000001', '2026-03-01 09:30:00.250000')",
                {"pid": pid, "code": code},
            )
        (row,) = store.session_run_rows(code)
        assert row["updated_at"] == datetime(2026, 3, 1, 9, 30, 0, 250000, tzinfo=UTC)
        since = datetime(2026, 3, 1, 10, 30, tzinfo=UTC).astimezone(UTC)
        assert store.session_run_rows(code, since=since - timedelta(hours=1)) == [row]
        assert store.session_run_rows(code, since=since) == []


def test_one_store_serves_several_threads(store, scenario):
    """Can the dashboard read one store from several threads while trainees write (one connection per thread)?"""
    code = store.create_session([SCENARIO])
    play_group(store, code, scenario, 2, seed=3)
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(20):
                assert len(store.session_run_rows(code)) >= 2
                store.decisions_of(code)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    play_group(store, code, scenario, 2, seed=4, prefix="later")
    for t in threads:
        t.join(timeout=60)
    assert not errors
    store.dispose()  # closes every thread's connection; the store opens new ones when used again
    assert len(store.session_runs(code)) == 4


def test_urls_with_and_without_sqlalchemys_driver_name(store_url):
    """Are both postgresql:// and SQLAlchemy's postgresql+psycopg:// accepted (sqlite+pysqlite:/// too)?"""
    dialect = "postgresql" if store_url.startswith("postgresql") else "sqlite"
    plain = store_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with_driver = plain.replace("postgresql://", "postgresql+psycopg://", 1).replace(
        "sqlite://", "sqlite+pysqlite://", 1
    )
    codes = []
    for url in (plain, with_driver):
        st = Store(url)
        assert st.dialect == dialect
        codes.append(st.create_session([SCENARIO]))
        st.dispose()
    st = Store(plain)
    assert all(st.session(code)["closed"] is False for code in codes)  # the same database
    st.dispose()


def test_sql_is_written_once_for_both_databases():
    """Does one SQL text with :name parameters become psycopg's %(name)s, leaving casts and percent signs intact?"""
    from sim.store import _sql

    sql = "SELECT x::text, '5%' FROM t WHERE a = :a AND b IN (:id_0, :id_1)"
    assert _sql(sql, "sqlite") == sql
    assert _sql(sql, "postgresql") == "SELECT x::text, '5%%' FROM t WHERE a = %(a)s AND b IN (%(id_0)s, %(id_1)s)"
    with pytest.raises(StoreError):
        Store("mysql://x@y/z")
