"""``procedural:*`` models: the embedded renderer as a generator."""

from __future__ import annotations

import math
from typing import Any, Sequence

from bench.generators.base import Generated, Generator, ModelError


class ProceduralGenerator(Generator):
    """``procedural:physical`` (iconic=0), ``procedural:iconic`` (iconic=1) and
    ``procedural:iconic=<p>``: each image's properties (symmetric, transitional,
    plausible, polished) are drawn iconic with probability p."""

    batch_size = 8

    def __init__(self, iconic: float):
        self.iconic = float(iconic)
        if self.iconic == 0.0:
            self.model = "procedural:physical"
        elif self.iconic == 1.0:
            self.model = "procedural:iconic"
        else:
            self.model = f"procedural:iconic={self.iconic:g}"

    @classmethod
    def from_spec(cls, rest: str) -> "ProceduralGenerator":
        if rest == "physical":
            return cls(0.0)
        if rest == "iconic":
            return cls(1.0)
        if rest.startswith("iconic="):
            value = rest.split("=", 1)[1]
            try:
                p = float(value)
            except ValueError:
                p = math.nan
            if not (0.0 <= p <= 1.0):
                raise ModelError(f"--model: procedural:iconic=<p>: expected p a number in [0, 1]; got '{value}'")
            return cls(p)
        raise ModelError(
            f"--model: expected procedural:physical, procedural:iconic or procedural:iconic=<0..1>; got 'procedural:{rest}'"
        )

    def settings(self) -> dict[str, Any]:
        from bench.generators.procedural import RENDERER_VERSION

        return {"iconic": self.iconic, "renderer_version": RENDERER_VERSION}

    def generate(self, jobs: Sequence[tuple[Any, int]], size: int) -> list[Generated]:
        from bench.generators.procedural import render

        out = []
        for scene, seed in jobs:
            image, truth = render(scene, seed, size=size, iconic=self.iconic)
            out.append(Generated(image=image, meta={"truth": truth}))
        return out
