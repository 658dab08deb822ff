"""The realgap "model organism" (issue 7): a small scene-conditioned diffusion
model trained on procedural renders, simulated raters with different tastes, a
learned Bradley-Terry reward, reward-backprop preference tuning, and the
experiment that measures what the tuning does to realism.

Modules: :mod:`data` (renderer datasets), :mod:`model` (UNet, scheduler,
checkpoint folders, the DDIM sampler), :mod:`train` (base training),
:mod:`raters` (simulated raters and pairs), :mod:`reward` (reward models),
:mod:`tune` (DRaFT-K tuning), :mod:`experiment`, :mod:`cli`.

Nothing here imports torch at import time of the package.
"""

ORGANISM_SCENES = (
    "fracture/window-pane-ball",
    "fracture/wine-glass-drop",
    "fracture/ceramic-plate-drop",
    "fracture/bottle-bullet",
    "impact/hammer-ice-block",
    "impact/meteorite-sand",
    "impact/egg-drop-floor",
    "impact/crash-test-wall",
    "fluid/milk-drop-crown",
    "fluid/rock-into-pond",
    "fluid/wave-hits-seawall",
    "fluid/water-balloon-pin",
)
"""The 12 required scene ids of DESIGN.md; class index = position in this tuple."""

NATIVE_SIZE = 32
