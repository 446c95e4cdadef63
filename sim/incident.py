"""The incident-log format: the facts of an incident and the timeline of what the school did."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictStr

from sim.errors import InputError, suggest
from sim.protocol import Protocol, Role, Strict, load_protocol
from sim.yamlio import load_model, position

Hours = Annotated[float, Field(strict=True, ge=0, le=24 * 366)]


class Entry(Strict):
    """One step the school took."""

    at: Hours = Field(description="Hours since the school learned of the incident (0 or more).")
    action: str = Field(description="Protocol step id (from protocol-catalogue.md).")
    by: Role | None = Field(None, description="Who took the step (optional).")
    note: str | None = Field(None, max_length=4000, description="Free note (optional).")


class IncidentLog(Strict):
    """An incident log: ``profile`` (optional), ``facts`` and ``timeline``."""

    profile: str | None = Field(None, description="School profile to score against, e.g. school-001.")
    facts: dict[str, StrictBool | StrictStr] = Field(description="Facts of the incident (see protocol facts).")
    timeline: list[Entry] = Field(max_length=5000, description="Steps in time order (same hour: listed order).")


def check_log(log: IncidentLog, protocol: Protocol, tree: Any, path: str) -> dict[str, Any]:
    """Check facts and actions against the protocol; return the facts with defaults filled in."""
    for name, value in log.facts.items():
        problem = protocol.check_fact(name, value)
        if problem:
            line, col = position(tree, ("facts", name))
            raise InputError(path, line, col, problem)
    try:
        facts = protocol.resolve_facts(log.facts)
    except KeyError as exc:
        line, col = position(tree, ("facts",))
        raise InputError(path, line, col, f"missing fact '{exc.args[0]}' (it has no default)") from None
    for i, entry in enumerate(log.timeline):
        if entry.action not in protocol.steps:
            line, col = position(tree, ("timeline", i, "action"))
            raise InputError(
                path, line, col, f"unknown action '{entry.action}'" + suggest(entry.action, protocol.steps)
            )
    return facts


def load_incident(
    path: str | Path, profile: str | None = None, text: str | None = None
) -> tuple[IncidentLog, Protocol, dict[str, Any]]:
    """Load an incident log; ``profile`` (from the command line) wins over the file's own."""
    path = str(path)
    log, tree = load_model(IncidentLog, path, text)
    chosen = profile or log.profile
    try:
        protocol = load_protocol(profile=chosen)
    except InputError as exc:
        if chosen and log.profile == chosen and not profile:
            line, col = position(tree, ("profile",))
            raise InputError(path, line, col, exc.message) from None
        raise
    facts = check_log(log, protocol, tree, path)
    return log, protocol, facts
