"""Training and simulation suite for a sexting incident at a Dutch school.

The core (this package, without :mod:`sim.ui`) never imports a UI library.
"""

import os
from pathlib import Path

__version__ = "0.1.0"


def data_dir() -> Path:
    """The folder for the database, caches and reports: ``SIM_DATA_DIR``, else ``data/`` in the repository."""
    return Path(os.environ.get("SIM_DATA_DIR") or Path(__file__).resolve().parent.parent / "data")
