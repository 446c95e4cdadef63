"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import os
import tempfile

import pytest

from sim.protocol import load_protocol


def pytest_configure(config):
    """Tests never write into the developer's data folder (database, card and parse caches)."""
    os.environ.setdefault("SIM_DATA_DIR", tempfile.mkdtemp(prefix="sim-test-data-"))


BASE_FACTS = {
    "slachtoffer_eigen_school": True,
    "dader_bekend": True,
    "dader_school": "eigen",
    "verspreiding": "klas",
    "minderjarig": True,
}


@pytest.fixture(scope="session")
def protocol():
    """The national protocol without a school profile."""
    return load_protocol()


@pytest.fixture(scope="session")
def school_protocol():
    """The protocol with the school-001 profile laid over it."""
    return load_protocol(profile="school-001")


def facts_for(protocol, **changes):
    """Resolved facts: BASE_FACTS with changes, defaults filled in."""
    return protocol.resolve_facts({**BASE_FACTS, **changes})


# --- result stores: every store test runs on SQLite and on PostgreSQL --------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """A database URL: a fresh SQLite file, or a fresh schema in the PostgreSQL of SIM_TEST_DATABASE_URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sim.db'}"
        return
    import os
    import uuid

    base = os.environ.get("SIM_TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL tests need SIM_TEST_DATABASE_URL (.ci/run starts a server and sets it)")
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(base.replace("postgresql+psycopg:", "postgresql:", 1), autocommit=True)
    admin.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@pytest.fixture
def store(store_url):
    """A results store on a fresh database (both backends)."""
    from sim.store import Store

    st = Store(store_url)
    yield st
    st.dispose()
