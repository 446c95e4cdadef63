"""The ``sim`` command line: score incident logs, validate files, explore and play scenarios."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sim.errors import InputError, InputErrors

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str) -> Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]:
    """Register a sub-command handler."""

    def wrap(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS[name] = fn
        return fn

    return wrap


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


@command("score")
def cmd_score(args: argparse.Namespace) -> int:
    """Score an incident log."""
    from sim.incident import load_incident
    from sim.report import render_text
    from sim.scoring import score

    log, protocol, facts = load_incident(args.file, profile=args.profile)
    report = score(log.timeline, facts, protocol)
    if args.json:
        _print_json(report.model_dump(mode="json"))
    else:
        sys.stdout.write(render_text(report, protocol))
    return 0


@command("validate")
def cmd_validate(args: argparse.Namespace) -> int:
    """Validate protocol, profile, scenario and incident files."""
    from sim.validate import default_targets, validate_path

    paths = [Path(p) for p in args.paths] or default_targets()
    errors: list[InputError] = []
    checked = 0
    for path in paths:
        found, count = validate_path(path)
        errors.extend(found)
        checked += count
    for err in errors:
        sys.stderr.write(f"{err}\n")
    if errors:
        sys.stderr.write(f"{len(errors)} problem(s) in {checked} file(s)\n")
        return 1
    sys.stdout.write(f"ok: {checked} file(s) valid\n")
    return 0


def _scenario_path(name: str) -> Path:
    """A scenario given by path or by id (``scenarios/<id>.yaml``)."""
    from sim.validate import SCENARIO_DIR

    p = Path(name)
    if p.exists() or p.suffix in (".yaml", ".yml"):
        return p
    return SCENARIO_DIR / f"{name}.yaml"


@command("explore")
def cmd_explore(args: argparse.Namespace) -> int:
    """Walk every path through a scenario and report scores and coverage."""
    from sim.explore import explore
    from sim.report import fmt_points
    from sim.scenario import load_scenario

    scenario = load_scenario(_scenario_path(args.scenario))
    result = explore(scenario, limit=args.limit, seed=args.seed)
    data = result.as_dict()
    if args.json:
        _print_json(data)
        return 0
    if result.exhaustive:
        counted = f"paths: {data['paths']} (all paths)"
    else:
        counted = (
            f"paths: more than {args.limit}; {data['paths']} distinct paths found by {args.limit} seeded random walks"
            " and a local search from the best and worst"
        )
    out = [
        f"scenario: {scenario.id} ({scenario.data.title})",
        f"{counted}; unfinished (too deep): {data['unfinished']}",
        f"endings reached: {', '.join(data['endings'])}",
        f"best:  {fmt_points(data['best']['score'])}  {','.join(data['best']['choices'])}",
        f"worst: {fmt_points(data['worst']['score'])}  {','.join(data['worst']['choices'])}",
        f"mean score: {fmt_points(data['mean'])}",
        f"protocol steps a trainee can take ({len(data['steps'])}): {', '.join(data['steps'])}",
    ]
    if data["unreached_endings"]:
        out.append(f"endings never reached: {', '.join(data['unreached_endings'])}")
    if data["unused_options"]:
        out.append(f"options on no path: {', '.join(data['unused_options'])}")
    out.append("share of best paths per option:")
    for node, shares in data["best_share"].items():
        out.append(f"  {node}: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
    sys.stdout.write("\n".join(out) + "\n")
    return 0


@command("play")
def cmd_play(args: argparse.Namespace) -> int:
    """Play a scenario in the terminal, interactively or with --choices."""
    from sim.engine import ChoiceError, Engine
    from sim.report import render_text
    from sim.scenario import load_scenario

    scenario = load_scenario(_scenario_path(args.scenario))
    engine = Engine(scenario)
    state = engine.start(args.seed)
    scripted = None if args.choices is None else [c for c in args.choices.split(",")]
    shown = 0
    while not state.finished:
        node = engine.node(state)
        assert node is not None
        if not args.json:
            sys.stdout.write(f"\n== {node.title} (klok: {state.clock:g} uur) ==\n{node.text.strip()}\n")
            for opt in engine.options(state):
                sys.stdout.write(f"  [{opt.id}] {opt.label}\n")
        if scripted is not None:
            if not scripted:
                sys.stderr.write(f"--choices ended before the scenario did (at '{node.id}')\n")
                return 2
            choice = scripted.pop(0)
        else:
            hint = {"keuze": "id", "meerkeuze": "id+id", "volgorde": "id>id>id", "reflectie": "tekst"}[node.kind]
            try:
                choice = input(f"keuze ({hint})> ")
            except EOFError:
                sys.stderr.write("input ended before the scenario did\n")
                return 2
        try:
            state = engine.choose(state, choice)
        except ChoiceError as exc:
            if scripted is not None:
                sys.stderr.write(f"choice '{choice}': {exc}\n")
                return 2
            sys.stdout.write(f"Dat kan niet: {exc}\n")
            continue
        if not args.json:
            for entry in state.log[shown:]:
                sys.stdout.write(f"  > {entry.title}: {entry.text.strip()}\n")
                if entry.sources:
                    sys.stdout.write(f"    Bron: {'; '.join(entry.sources)}\n")
        shown = len(state.log)
    if scripted:
        sys.stderr.write(f"{len(scripted)} choice(s) left after the ending '{state.ending}'\n")
        return 2
    report = engine.report(state)
    if args.json:
        _print_json(
            {
                "scenario": scenario.id,
                "ending": state.ending,
                "choices": [c.choice for c in state.choices],
                "transcript": [e.model_dump(mode="json") for e in state.log],
                "state": state.model_dump(mode="json"),
                "report": report.model_dump(mode="json"),
            }
        )
    else:
        sys.stdout.write("\n" + render_text(report, scenario.protocol))
    return 0


@command("schema")
def cmd_schema(args: argparse.Namespace) -> int:
    """Write (or check) the JSON Schemas generated from the pydantic models."""
    from sim.schemas import check_schemas, write_schemas

    if args.check:
        stale = check_schemas()
        for path in stale:
            sys.stderr.write(f"{path}: out of date; run 'python -m sim schema'\n")
        return 1 if stale else 0
    for path in write_schemas():
        sys.stdout.write(f"wrote {path}\n")
    return 0


# --- training days: sessions, retention, export, the servers (output in Dutch: facilitators read it) ---


def _store():
    from sim.store import Store

    return Store()


@command("sessions")
def cmd_sessions(args: argparse.Namespace) -> int:
    """List the training-day sessions with their numbers."""
    rows = _store().list_sessions()
    if args.json:
        _print_json([{**r, "created_at": r["created_at"].isoformat() if r.get("created_at") else None} for r in rows])
        return 0
    if not rows:
        sys.stdout.write("Geen sessies. Maak er een met 'sim studiedag'.\n")
        return 0
    sys.stdout.write(f"{'code':<8} {'aangemaakt':<17} {'deeln.':>6} {'runs':>5} {'klaar':>5}  titel (scenario's)\n")
    for r in rows:
        when = r["created_at"].strftime("%Y-%m-%d %H:%M") if r.get("created_at") else "?"
        closed = " [gesloten]" if r.get("closed") else ""
        sys.stdout.write(
            f"{r['code']:<8} {when:<17} {r['participants']:>6} {r['runs']:>5} {r['finished']:>5}  "
            f"{r['title']}{closed} ({', '.join(r['scenarios'])})\n"
        )
    return 0


@command("purge")
def cmd_purge(args: argparse.Namespace) -> int:
    """Delete everything of one session, after confirmation."""
    from sim.store import StoreError, normalise_code

    store = _store()
    code = normalise_code(args.session)
    info = next((r for r in store.list_sessions() if r["code"] == code), None)
    if info is None:
        sys.stderr.write(f"Onbekende sessie '{code}'. 'sim sessions' toont de sessies.\n")
        return 2
    if not args.yes:
        sys.stdout.write(
            f"Sessie {code} ({info['title']}) met {info['participants']} deelnemers en {info['runs']} runs "
            "definitief verwijderen? Typ 'ja' om te bevestigen: "
        )
        sys.stdout.flush()
        try:
            answer = input()
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("ja", "j", "yes", "y"):
            sys.stdout.write("Niets verwijderd.\n")
            return 1
    try:
        counts = store.purge_session(code)
    except StoreError:
        sys.stderr.write(f"Onbekende sessie '{code}'.\n")
        return 2
    sys.stdout.write(
        f"Sessie {code} verwijderd: {counts['participants']} deelnemers, {counts['runs']} runs, "
        f"{counts['decisions']} beslissingen.\n"
    )
    return 0


@command("export")
def cmd_export(args: argparse.Namespace) -> int:
    """Export a session's runs and decisions as CSV and/or Parquet (participants anonymised)."""
    from sim.store import StoreError

    formats = ("csv", "parquet") if args.format == "beide" else (args.format,)
    try:
        written = _store().export(args.session, args.out, formats)
    except StoreError as exc:
        sys.stderr.write(f"Export mislukt: {exc}\n")
        return 2
    for path in written:
        sys.stdout.write(f"geschreven: {path}\n")
    return 0


@command("nabespreking")
def cmd_nabespreking(args: argparse.Namespace) -> int:
    """Write the session's after-action review as HTML and PDF."""
    from sim.aar import build_review, export_review
    from sim.dashboard import SessionDashboard
    from sim.store import StoreError

    store = _store()
    dash = SessionDashboard(store, args.session)
    try:
        view = dash.refresh()
    except StoreError:
        sys.stderr.write(f"Onbekende sessie '{args.session}'.\n")
        return 2
    notes = Path(args.notes).read_text(encoding="utf-8") if args.notes else ""
    html_path, pdf_path = export_review(build_review(view, dash.scenario, notes=notes), args.out)
    sys.stdout.write(f"geschreven: {html_path}\ngeschreven: {pdf_path}\n")
    return 0


@command("studiedag")
def cmd_studiedag(args: argparse.Namespace) -> int:
    """Start the trainees' app and the facilitator's dashboard for a training day."""
    from sim.store import StoreError
    from sim.studiedag import make_plan, run

    try:
        plan = make_plan(
            _store(),
            args.scenario or [],
            code=args.code,
            title=args.title,
            trainees=args.deelnemers,
            host=args.host,
            port=args.port,
            dashboard_host=args.dashboard_host,
            dashboard_port=args.dashboard_port,
            key=args.key,
        )
    except StoreError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    return run(plan, log_dir=Path(args.logs) if args.logs else None)


def _training_day_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("studiedag", help="start a training day: trainee app and facilitator dashboard")
    p.add_argument("--scenario", action="append", help="scenario id (repeatable; default: all scenarios)")
    p.add_argument("--code", help="reuse this session instead of creating one")
    p.add_argument("--title", default="Studiedag", help="title of a new session")
    p.add_argument("--deelnemers", type=int, default=60, help="people expected at once: kernels to preheat (60)")
    p.add_argument("--host", default="0.0.0.0", help="trainees' server address (default: every interface)")
    p.add_argument("--port", type=int, default=8866, help="trainees' server port (8866)")
    p.add_argument("--dashboard-host", default="127.0.0.1", help="dashboard address (default: this computer only)")
    p.add_argument("--dashboard-port", type=int, default=8867, help="dashboard port (8867)")
    p.add_argument("--key", help="facilitator key for the dashboard (made up when it is opened to the network)")
    p.add_argument("--logs", help="folder for the servers' logs")

    p = sub.add_parser("sessions", help="list training-day sessions")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser("purge", help="delete everything of one session (asks for confirmation)")
    p.add_argument("session", help="session code")
    p.add_argument("--yes", action="store_true", help="do not ask")

    p = sub.add_parser("export", help="export a session's results (anonymised) as CSV and/or Parquet")
    p.add_argument("session", help="session code")
    p.add_argument("--out", required=True, help="folder to write to")
    p.add_argument("--format", choices=("csv", "parquet", "beide"), default="beide", help="file format (beide)")

    p = sub.add_parser("nabespreking", help="write a session's after-action review as HTML and PDF")
    p.add_argument("session", help="session code")
    p.add_argument("--out", required=True, help="folder to write to")
    p.add_argument("--notes", help="text file with the group's agreements, added to the review")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all sub-commands."""
    parser = argparse.ArgumentParser(
        prog="sim",
        description="Training suite for a sexting incident at school: score, validate, explore and play.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("score", help="score an incident log (YAML) against the protocol")
    p.add_argument("file", help="incident log: profile (optional), facts, timeline")
    p.add_argument("--profile", help="school profile name (e.g. school-001) or profile file")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the Dutch report")

    p = sub.add_parser("validate", help="check protocol, profiles, scenarios and incident logs")
    p.add_argument("paths", nargs="*", help="files or folders (default: protocols/ and scenarios/)")

    p = sub.add_parser("explore", help="walk every path through a scenario")
    p.add_argument("scenario", help="scenario file or id")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--limit", type=int, default=20000, help="enumerate at most this many paths, else sample")
    p.add_argument("--seed", type=int, default=1, help="run seed (spread noise)")

    p = sub.add_parser("play", help="play a scenario in the terminal")
    p.add_argument("scenario", help="scenario file or id")
    p.add_argument("--choices", help="comma-separated choices: id, id+id (several), id>id (order), text (reflection)")
    p.add_argument("--json", action="store_true", help="print the transcript and the score report as JSON")
    p.add_argument("--seed", type=int, default=1, help="run seed (spread noise)")

    p = sub.add_parser("schema", help="write the JSON Schemas of the file formats")
    p.add_argument("--check", action="store_true", help="only check that the committed schemas are current")

    for extra in EXTRA_PARSERS:
        extra(sub)
    return parser


EXTRA_PARSERS: list[Callable[[argparse._SubParsersAction], None]] = [_training_day_parsers]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; never shows a traceback."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    except InputErrors as exc:
        for err in exc.errors:
            sys.stderr.write(f"{err}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the promise is: no traceback for a user
        sys.stderr.write(f"sim: internal error: {type(exc).__name__}: {exc}\n")
        return 3


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
