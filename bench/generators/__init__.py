"""Generators: scene spec + seed -> image.  One file per backend.

MODEL forms (``--model``):

* ``procedural:physical``, ``procedural:iconic``, ``procedural:iconic=<0..1>``:
  the embedded renderer (CPU, no weights), :mod:`bench.generators.procedural`
  (wrapped by :mod:`bench.generators.procedural_model`);
* ``images:<folder>``: bring your own images named ``<family>/<name>/<seed>.png``;
* ``diffusers:<hub id | local folder | .safetensors file>``: a diffusers
  text-to-image pipeline, :mod:`bench.generators.diffusers_gen`;
* ``organism:<folder>``: the model organism (a small scene-id-conditioned
  diffusers UNet trained on the renderer), :mod:`bench.generators.organism_gen`.

Every generator is deterministic per (scene, seed) and returns uint8 RGB arrays.
The base class, the result type and :class:`ModelError` are in
:mod:`bench.generators.base` (re-exported here), which the backends import;
this package imports a backend only when :func:`make_generator` asks for it.
"""

from __future__ import annotations

import difflib
from typing import Any

from bench.generators.base import FORMS, Generated, Generator, ModelError


def make_generator(model: str, **options: Any) -> Generator:
    """Build the generator for a ``--model`` string; raises :class:`ModelError`."""
    form, sep, rest = model.partition(":")
    if not sep or form not in FORMS:
        close = difflib.get_close_matches(form, FORMS, n=1)
        hint = f" (did you mean '{close[0]}:'?)" if close else ""
        raise ModelError(
            f"--model: expected procedural:physical, procedural:iconic, procedural:iconic=<0..1>, "
            f"images:<folder>, diffusers:<hub id|folder|.safetensors> or organism:<folder>; got '{model}'{hint}"
        )
    if form == "procedural":
        from bench.generators.procedural_model import ProceduralGenerator

        return ProceduralGenerator.from_spec(rest)
    if form == "images":
        from bench.generators.images import ImageFolderGenerator

        return ImageFolderGenerator(rest)
    if form == "organism":
        from bench.generators.organism_gen import OrganismGenerator

        return OrganismGenerator(rest, **options)
    from bench.generators.diffusers_gen import DiffusersGenerator

    return DiffusersGenerator(rest, **options)


__all__ = ["FORMS", "Generated", "Generator", "ModelError", "make_generator"]
