"""realgap scorers: small pure functions of (image, optional scene spec).

Each module is usable as a library, e.g. ``from metrics import symmetry`` then
``symmetry.symmetry(image, scene)``.  ``metrics.registry`` lists them and runs
them all (``score_image``).
"""

__all__ = ["aesthetic", "plausibility", "realism", "registry", "symmetry", "transitional"]
