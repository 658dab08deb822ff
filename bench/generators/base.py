"""What every generator backend shares: :class:`Generator`, :class:`Generated`, :class:`ModelError`.

The backends (``procedural_model``, ``images``, ``diffusers_gen``,
``organism_gen``) import these from here, never from the package, so the
package (:func:`bench.generators.make_generator`) can import the backends
without an import circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

FORMS = ("procedural", "images", "diffusers", "organism")


class ModelError(ValueError):
    """A model string or its options cannot be used (one line, shown to the user)."""


@dataclass
class Generated:
    image: np.ndarray | None
    """uint8 H x W x 3 RGB, or None when generation failed for this job."""
    meta: dict = field(default_factory=dict)
    """JSON-serialisable facts about the image (ground truth, settings), stored beside it."""
    status: str = "ok"
    detail: str = ""


class Generator:
    """Base class: subclasses set ``model`` and implement :meth:`generate`."""

    model: str = ""
    batch_size: int = 1

    def settings(self) -> dict[str, Any]:
        """Settings that change the images (recorded in run.json; a resumed run must match)."""
        return {}

    def generate(self, jobs: Sequence[tuple[Any, int]], size: int) -> list[Generated]:
        raise NotImplementedError

    def close(self) -> None:
        pass


__all__ = ["FORMS", "Generated", "Generator", "ModelError"]
