"""Model-backed scoring from a local weights folder: the command-line options and the :class:`Scoring`.

The weights themselves (the manifest ``metrics/weights.toml``, hashing,
:func:`verify`, :class:`WeightsError`) are :mod:`metrics.weights`, below the
scorers that load them; this module is the application glue on top: it adds
``--weights-dir`` / ``--allow-custom-head`` to a parser and builds the run's
:class:`bench.runner.Scoring` (the LAION aesthetic and CLIPScore sharing one
CLIP).  The names of :mod:`metrics.weights` stay importable from here.

Without a weights folder, :func:`build_scoring` returns the registry's defaults:
the labelled proxy aesthetic (``aesthetic_source == "proxy"``) and an
``alignment`` of NaN with a note saying how to supply them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from metrics.weights import (
    CLIP_KEY,
    ENV_VAR,
    HEAD_KEY,
    MANIFEST_NAME,
    MANIFEST_PATH,
    WeightsEntry,
    WeightsError,
    WeightsFile,
    find_entry,
    load_manifest,
    manifest_entries,
    require_root,
    resolve,
    sha256_file,
    verify,
    verify_path,
    weights_root,
)



def pick_device(device: str | None) -> str:
    """``None`` or ``auto``: cuda if available, else mps, else cpu; anything else as given."""
    if device not in (None, "", "auto"):
        return str(device)
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def build_scoring(
    weights_dir: Path | str | None = None,
    device: str | None = "cpu",
    allow_custom_head: bool = False,
    *,
    manifest: Path | str | Mapping[str, WeightsEntry] | None = None,
):
    """The :class:`bench.runner.Scoring` for a weights folder.

    Without a folder (``weights_dir`` is None and ``$REALGAP_WEIGHTS`` unset):
    ``Scoring()``, i.e. the proxy aesthetic and a NaN ``alignment``.  With one:
    the LAION v2 aesthetic predictor and CLIPScore alignment, sharing one CLIP
    ViT-L/14 loaded once; ``versions`` records every file's sha256 and status.
    A folder that is given but missing, or a missing / wrong file, raises
    :class:`WeightsError` (all problems in one line, separated by `` | ``).
    """
    from bench.runner import Scoring

    if weights_root(weights_dir) is None:
        return Scoring()
    root = require_root(weights_dir)
    entries = manifest_entries(manifest)
    problems: list[str] = []
    files: dict[str, WeightsFile] = {}
    for key, custom, flag in ((CLIP_KEY, False, None), (HEAD_KEY, allow_custom_head, "--allow-custom-head")):
        if key not in entries:
            problems.append(f"{MANIFEST_PATH.name}: files.{key}: expected an entry; missing")
            continue
        try:
            files[key] = verify(key, weights_dir=root, allow_custom=custom, manifest=entries, custom_flag=flag)
        except WeightsError as exc:
            problems.append(str(exc))
    if problems:
        raise WeightsError(" | ".join(problems))

    from metrics.clip_scores import ClipScorer, load_clip
    from metrics.laion import LaionAesthetic

    clip = load_clip(files[CLIP_KEY], device=pick_device(device))
    aesthetic = LaionAesthetic(root, clip.device, allow_custom_head, manifest=entries, clip=clip)
    alignment = ClipScorer(files[CLIP_KEY].path, device=clip.device, manifest=entries, clip=clip)
    return Scoring(
        overrides={"aesthetic": aesthetic, "alignment": alignment},
        versions={"aesthetic": aesthetic.identity(), "alignment": alignment.identity()},
    )


def add_weights_arguments(parser) -> None:
    """Add ``--weights-dir`` and ``--allow-custom-head`` to an argparse (sub)parser."""
    g = parser.add_argument_group("model-backed scorers (local weights, nothing is downloaded)")
    g.add_argument(
        "--weights-dir", type=Path, default=None, metavar="DIR",
        help=f"folder holding the files listed in {MANIFEST_NAME} (OpenAI CLIP ViT-L/14 and the LAION "
        f"aesthetic head); each is checked against its sha256 (default: ${ENV_VAR}; without either, "
        "aesthetic is the labelled proxy and alignment is NaN)",
    )
    g.add_argument(
        "--allow-custom-head", action="store_true",
        help="accept an aesthetic head whose sha256 differs from the manifest (scores are labelled laion-v2-custom "
        "and the head's own hash is recorded)",
    )


def scoring_from_args(args, *, device: str | None = None):
    """:func:`build_scoring` from parsed arguments (``--weights-dir``, ``--allow-custom-head``, ``--device``)."""
    return build_scoring(
        getattr(args, "weights_dir", None),
        device if device is not None else getattr(args, "device", None),
        bool(getattr(args, "allow_custom_head", False)),
    )


__all__ = [
    "CLIP_KEY", "ENV_VAR", "HEAD_KEY", "MANIFEST_NAME", "MANIFEST_PATH", "WeightsEntry", "WeightsError", "WeightsFile",
    "add_weights_arguments", "build_scoring", "find_entry", "load_manifest", "manifest_entries", "pick_device", "require_root",
    "resolve", "scoring_from_args", "sha256_file", "verify", "verify_path", "weights_root",
]
