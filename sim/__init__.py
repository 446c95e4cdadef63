"""Training and simulation suite for a sexting incident at a Dutch school.

The core (this package, without :mod:`sim.ui`) never imports a UI library.
"""

import os
from pathlib import Path

__version__ = "0.1.0"


def data_dir() -> Path:
    """The folder for the database, caches and reports: ``SIM_DATA_DIR``, else ``data/`` in the repository."""
    return Path(os.environ.get("SIM_DATA_DIR") or Path(__file__).resolve().parent.parent / "data")


def write_atomic(path: Path, text: str) -> None:
    """Write a cache file so that a reader sees the old file or the new one, never half of it.

    The text goes to a hidden file of this process beside ``path``, which then replaces ``path``;
    many kernels and servers may write the same cache at once. Raises :class:`OSError`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
