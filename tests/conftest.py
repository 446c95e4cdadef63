"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import pytest

from sim.protocol import load_protocol

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
