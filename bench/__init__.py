"""realgap: how preference-tuned text-to-image checkpoints trade physical realism for iconic looks."""

__version__ = "0.1.0"
