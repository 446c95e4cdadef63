"""Errors that a person can act on: ``path:line:col: what is wrong``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InputError(Exception):
    """A problem in an input file, located by path, line and column (1-based)."""

    def __init__(self, path: str, line: int, col: int, message: str) -> None:
        """Create the error; ``line`` and ``col`` are 1-based (0 when unknown)."""
        super().__init__(message)
        self.path = str(path)
        self.line = line
        self.col = col
        self.message = message

    def __str__(self) -> str:
        """Render as ``path:line:col: message``."""
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class InputErrors(Exception):
    """Several located problems found in one pass (used by ``sim validate``)."""

    def __init__(self, errors: list[InputError]) -> None:
        """Keep the errors in the order they were found."""
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def suggest(word: str, known: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the nearest known word, or ``""``."""
    known = list(known)
    match = difflib.get_close_matches(str(word), known, n=1, cutoff=0.5)
    if not match:
        # Fall back to a containment match, useful for long kebab-case ids.
        match = [k for k in known if str(word) in k or k in str(word)][:1]
    return f" (did you mean '{match[0]}'?)" if match else ""
