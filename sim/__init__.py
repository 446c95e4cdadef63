"""Training and simulation suite for a sexting incident at a Dutch school.

The core (this package, without :mod:`sim.ui`) never imports a UI library.
"""

__version__ = "0.1.0"
