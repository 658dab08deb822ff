"""The commented template that ``realgap scenes new [stress/]FAMILY/NAME`` writes (it validates as it is)."""

from __future__ import annotations

from pathlib import Path

from bench.spec import scene_family

TEMPLATE = """\
# realgap scene spec. Validate with: realgap scenes validate {path}
# The id must equal the path under scenes/ without .yaml
# (stress-track scenes: scenes/stress/<family>/<name>.yaml, id stress/<family>/<name>).
id: {id}
# Bump the version whenever a change could move a score.
version: 1
# fracture | impact | fluid
family: {family}
title: TODO short title of the event
# Describe a camera view that makes physics.impact_direction true in the image.
prompt: >-
  high-speed photograph, side view, TODO describe the object, the impactor
  and its direction of travel in the frame
negative_prompt: ""
physics:
  # the instant the prompt asks for: pre | transitional | end
  phase: transitional
  # expected image-plane location of the impact, fractions of (width, height)
  impact_point: [0.5, 0.5]
  # unit vector of travel of the impactor / ejecta in the image; x right, y down
  impact_direction: [1, 0]
  # plausible range of the power-law exponent of fragment areas (delete if no fragments)
  fragment_size_exponent: [1.2, 2.2]
  # physical cues a correct image shows
  expected:
    - TODO a cue a physically correct image shows
# what a preference-tuned model tends to draw instead
iconic_cues:
  - TODO an iconic but unphysical look
# sources for the physics fields (DOIs, papers)
references:
  - TODO a source, e.g. doi:10.1103/PhysRevLett.110.174302
"""


def new_scene_text(scene_id: str, path: Path) -> str:
    """The commented template for ``realgap scenes new [stress/]FAMILY/NAME``."""
    return TEMPLATE.format(id=scene_id, family=scene_family(scene_id), path=path)
