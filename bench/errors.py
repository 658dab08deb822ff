"""Errors that realgap shows to the user as one line (``realgap COMMAND: ...``, exit code 2).

This module is the bottom of ``bench``'s import graph: it imports nothing, so
any module can raise these without depending on the command line or the runner.
Other one-line errors live with the code that owns their checks and import
nothing above it: :class:`bench.spec.SpecError`, :class:`bench.generators.ModelError`,
:class:`metrics.weights.WeightsError`.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with the user's input: shown as one line, exit code 2."""


class RunError(ValueError):
    """A run cannot start or go on (one line for the user)."""


__all__ = ["RunError", "UserError"]
