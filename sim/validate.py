"""``sim validate``: find out what a YAML file is and check it, collecting located errors."""

from __future__ import annotations

from pathlib import Path

from sim.errors import InputError, InputErrors
from sim.protocol import DEFAULT_PROTOCOL, PROFILE_DIR, PROTOCOL_DIR, ROOT, load_protocol
from sim.yamlio import read_yaml

SCENARIO_DIR = ROOT / "scenarios"


def default_targets() -> list[Path]:
    """What ``sim validate`` checks without arguments: the protocol, profiles and scenarios."""
    return [DEFAULT_PROTOCOL, PROFILE_DIR, SCENARIO_DIR]


def _kind(path: Path) -> str:
    resolved = path.resolve()
    if resolved.parent == PROFILE_DIR.resolve():
        return "profile"
    if resolved.parent == PROTOCOL_DIR.resolve():
        return "protocol"
    tree = read_yaml(path)
    if isinstance(tree, dict):
        if "timeline" in tree:
            return "incident"
        if "nodes" in tree or "start" in tree:
            return "scenario"
        if "add_steps" in tree or ("protocol" in tree and "source" in tree):
            return "profile"
        if "steps" in tree and "phases" in tree:
            return "protocol"
    raise InputError(str(path), 1, 1, "cannot tell what this file is (protocol, profile, scenario or incident log)")


def validate_file(path: Path) -> list[InputError]:
    """Check one file; return its problems (empty when valid)."""
    try:
        kind = _kind(path)
        if kind == "protocol":
            load_protocol(path)
        elif kind == "profile":
            load_protocol(profile=str(path))
        elif kind == "incident":
            from sim.incident import load_incident

            load_incident(path)
        else:
            from sim.scenario import check_scenario_file

            return check_scenario_file(path)
    except InputError as exc:
        return [exc]
    except InputErrors as exc:
        return list(exc.errors)
    return []


def validate_path(path: Path) -> tuple[list[InputError], int]:
    """Check a file, or every YAML file under a folder; return problems and files checked."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.y*ml") if "schema" not in p.parts)
        errors: list[InputError] = []
        for f in files:
            errors.extend(validate_file(f))
        return errors, len(files)
    if not path.exists():
        return [InputError(str(path), 0, 0, "no such file or folder")], 1
    return validate_file(path), 1
