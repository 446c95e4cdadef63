"""JSON Schemas generated from the pydantic models (the single source of the file formats)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from sim.incident import IncidentLog
from sim.protocol import PROTOCOL_DIR, ROOT, ProfileFile, ProtocolFile
from sim.scenario import ScenarioFile

SCHEMAS: dict[Path, type[BaseModel]] = {
    ROOT / "scenarios" / "schema" / "scenario.schema.json": ScenarioFile,
    PROTOCOL_DIR / "schema" / "protocol.schema.json": ProtocolFile,
    PROTOCOL_DIR / "schema" / "profile.schema.json": ProfileFile,
    ROOT / "scenarios" / "schema" / "incident.schema.json": IncidentLog,
}


def render(model: type[BaseModel]) -> str:
    """The schema text of one model, as committed."""
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_schemas() -> list[Path]:
    """Write every schema; return the paths."""
    for path, model in SCHEMAS.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(model), encoding="utf-8")
    return list(SCHEMAS)


def check_schemas() -> list[Path]:
    """Paths whose committed schema differs from the models."""
    return [p for p, m in SCHEMAS.items() if not p.exists() or p.read_text(encoding="utf-8") != render(m)]
