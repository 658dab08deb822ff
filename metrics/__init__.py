"""realgap scorers: small pure functions of (image, optional scene spec).

Each module is usable as a library, e.g. ``from metrics import symmetry`` then
``symmetry.symmetry(image, scene)``.  Each registers itself in
``metrics.registry``; ``metrics.suite`` lists them and runs them all
(``score_image``).  ``metrics.weights`` finds and checks local model weights.
"""

__all__ = ["aesthetic", "plausibility", "realism", "registry", "suite", "symmetry", "transitional", "weights"]
