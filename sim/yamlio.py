"""Safe YAML loading with line numbers, and pydantic validation that points at lines.

Every data file of the project (protocol, profiles, scenarios, incident logs) goes through
:func:`load_model`. It refuses what a hostile or broken file could do to us: files that are too
large, anchors and aliases (the "billion laughs" bomb), nesting that is too deep, duplicate keys,
non-UTF-8 bytes. Problems come back as :class:`~sim.errors.InputError` with the file, line and
column, never as a traceback.

The apps load the same unchanged files in every kernel; :func:`load_checked` takes the parsed tree
from a cache in the data folder (``parsed/``, JSON, keyed by the file's bytes) when it can, so a
kernel neither imports ruamel nor parses YAML (≈0.2 s and ≈3 MB a scenario). A cached tree has no
line numbers: when a file fails its checks, it is loaded again from the YAML itself to say where.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sim import data_dir, write_atomic
from sim.errors import InputError, InputErrors, suggest

MAX_BYTES = 2_000_000
MAX_DEPTH = 40
MAX_EVENTS = 400_000

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def _mark(exc: Any) -> tuple[int, int]:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return 0, 0
    return mark.line + 1, mark.column + 1


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else "invalid YAML"


def _read_text(path: str) -> str:
    """The file's text, refused when it is too large, not UTF-8 or binary."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(path, 0, 0, f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise InputError(path, 0, 0, f"file is too large ({len(raw)} bytes; at most {MAX_BYTES})")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(path, line, 0, "file is not valid UTF-8 text") from None


def read_yaml(path: str | Path, text: str | None = None) -> Any:
    """Parse one YAML document safely and return ruamel's round-trip tree (dicts with ``.lc``)."""
    path = str(path)
    if text is None:
        text = _read_text(path)
    elif len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise InputError(path, 0, 0, f"file is too large (at most {MAX_BYTES} bytes)")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(path, line, 0, "file contains a NUL byte; is it binary?")
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        depth = 0
        events = 0
        for event in yaml.parse(io.StringIO(text)):
            events += 1
            mark = event.start_mark
            if isinstance(event, AliasEvent):
                raise InputError(path, mark.line + 1, mark.column + 1, "YAML aliases (*name) are not allowed here")
            if isinstance(event, CollectionStartEvent):
                if getattr(event, "anchor", None):
                    raise InputError(path, mark.line + 1, mark.column + 1, "YAML anchors (&name) are not allowed here")
                depth += 1
                if depth > MAX_DEPTH:
                    raise InputError(path, mark.line + 1, mark.column + 1, f"nesting is deeper than {MAX_DEPTH} levels")
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
            if events > MAX_EVENTS:
                raise InputError(path, mark.line + 1, mark.column + 1, "file has too many YAML nodes")
        docs = list(yaml.load_all(io.StringIO(text)))
    except InputError:
        raise
    except MarkedYAMLError as exc:
        line, col = _mark(exc)
        problem = exc.problem or _first_line(str(exc))
        if "duplicate key" in str(exc).lower() or "found duplicate" in str(exc).lower():
            problem = "duplicate key " + (problem.split("duplicate key", 1)[-1].strip() or "")
        raise InputError(path, line, col, f"invalid YAML: {problem}") from None
    except (YAMLError, ValueError, TypeError, RecursionError, OverflowError) as exc:
        raise InputError(path, 0, 0, f"invalid YAML: {_first_line(str(exc)) or type(exc).__name__}") from None
    if len(docs) != 1:
        raise InputError(path, 1, 1, f"expected one YAML document, found {len(docs)}")
    return docs[0]


def position(tree: Any, loc: tuple[Any, ...]) -> tuple[int, int]:
    """Return the 1-based (line, col) of the deepest node of ``loc`` that ``tree`` holds."""
    line, col = 1, 1
    node = tree
    for key in loc:
        if isinstance(node, dict) and hasattr(node, "lc") and key in node:
            try:
                ln, cl = node.lc.value(key)
                if hasattr(node[key], "lc") or ln is None:
                    ln, cl = node.lc.key(key)
                line, col = ln + 1, cl + 1
            except (KeyError, TypeError, AttributeError):
                pass
            node = node[key]
        elif isinstance(node, list) and hasattr(node, "lc") and isinstance(key, int) and 0 <= key < len(node):
            try:
                ln, cl = node.lc.item(key)
                line, col = ln + 1, cl + 1
            except (KeyError, TypeError, AttributeError):
                pass
            node = node[key]
        else:
            break
    return line, col


def plain(tree: Any) -> Any:
    """Turn ruamel's round-trip tree into plain dicts, lists and scalars."""
    if isinstance(tree, dict):
        return {str(k) if not isinstance(k, (str, int, float, bool)) else k: plain(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [plain(v) for v in tree]
    if hasattr(tree, "__float__") and type(tree).__name__ == "ScalarFloat":
        return float(tree)
    if isinstance(tree, bool):
        return bool(tree)
    if isinstance(tree, int):
        return int(tree)
    if isinstance(tree, str):
        return str(tree)
    return tree


def _describe(err: dict[str, Any], model: type[BaseModel]) -> str:
    loc = [str(p) for p in err["loc"]]
    where = ".".join(loc) or "file"
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        known = _known_fields(model, err["loc"][:-1])
        return f"unknown field '{loc[-1]}'" + suggest(loc[-1], known)
    if kind == "missing":
        return f"missing required field '{loc[-1]}'"
    shown = repr(value) if isinstance(value, (str, int, float, bool)) or value is None else type(value).__name__
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return f"{where}: {msg} (got {shown})"


def _known_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            # a dict key, or a union we cannot follow
            continue
        current = _inner_model(fields[part].annotation)
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def _inner_model(annotation: Any) -> Any:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def validate(model: type[M], tree: Any, path: str, context: dict[str, Any] | None = None) -> M:
    """Validate a parsed tree against a pydantic model; errors point at the offending line."""
    if not isinstance(tree, dict):
        raise InputError(path, 1, 1, f"expected a mapping at the top of the file, found {type(tree).__name__}")
    try:
        return model.model_validate(plain(tree), context=context)
    except ValidationError as exc:
        errs = exc.errors()
        # A misspelt field shows up as "unknown" and "missing"; the unknown one says more.
        err = next((e for e in errs if e["type"] == "extra_forbidden"), errs[0])
        line, col = position(tree, tuple(err["loc"]))
        raise InputError(path, line, col, _describe(err, model)) from None


def load_model(model: type[M], path: str | Path, text: str | None = None) -> tuple[M, Any]:
    """Read ``path`` (or ``text``) and validate it as ``model``; return the model and the raw tree."""
    tree = read_yaml(path, text)
    return validate(model, tree, str(path)), tree


def cache_dir() -> Path:
    """Where parsed trees are cached: ``parsed/`` in the data folder (``SIM_DATA_DIR``, default ``./data``)."""
    return data_dir() / "parsed"


def cached_tree(path: str | Path) -> Any:
    """The plain tree of ``path`` (dicts, lists, scalars; no line numbers), from the cache when the file is unchanged.

    On a miss the file is parsed safely (:func:`read_yaml`) and its tree stored for the next kernel,
    unless JSON cannot hold it exactly (then the YAML tree is returned, as :func:`read_yaml` would).
    """
    path = str(path)
    text = _read_text(path)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    entry = cache_dir() / (hashlib.sha256(str(Path(path).resolve()).encode()).hexdigest()[:24] + ".json")
    try:
        found = json.loads(entry.read_text(encoding="utf-8"))
        if isinstance(found, dict) and found.get("sha256") == digest:
            return found["tree"]
    except (OSError, ValueError, RecursionError, KeyError):
        pass
    tree = read_yaml(path, text)
    flat = plain(tree)
    try:
        encoded = json.dumps({"sha256": digest, "tree": flat}, ensure_ascii=False)
        if json.loads(encoded)["tree"] == flat:  # e.g. numbers as mapping keys would come back as text
            write_atomic(entry, encoded)
    except (OSError, ValueError, TypeError):
        pass  # not cached; the next load parses again
    return tree


def has_lines(tree: Any) -> bool:
    """Does the tree carry line numbers (parsed from YAML now, not taken from the cache)?"""
    return hasattr(tree, "lc")


def load_checked(model: type[M], path: str | Path, check: Callable[[M, Any], T]) -> T:
    """Load ``path`` as ``model`` and return ``check(data, tree)``, using the parse cache.

    ``check`` raises :class:`InputError` or :class:`InputErrors` for a broken file. When the cached
    tree fails, the file is loaded and checked again from the YAML itself, so that every error
    names its line.
    """
    tree = cached_tree(path)
    if not has_lines(tree):
        try:
            return check(validate(model, tree, str(path)), tree)
        except (InputError, InputErrors):
            tree = read_yaml(path)
    return check(validate(model, tree, str(path)), tree)
