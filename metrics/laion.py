"""LAION improved aesthetic predictor v2 from local weights (replaces the proxy).

Not registered on its own: :class:`LaionAesthetic` is the ``aesthetic`` scorer's
override when a weights folder is given (``bench.weights.build_scoring``).  It
returns the aesthetic scorer's columns with ``aesthetic_source = "laion-v2"``,
the proxy's sub-columns NaN (they describe the proxy, not this predictor) and
the raw 1-10 prediction in ``aesthetic_laion``.

torch and open_clip are imported only when the model is loaded.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

HEAD_KEYS = tuple(f"layers.{i}.{p}" for i in (0, 2, 4, 6, 7) for p in ("weight", "bias"))
"""State-dict keys of the head: Linear, Dropout, Linear, Dropout, Linear, Dropout, Linear, Linear."""
HIDDEN = (1024, 128, 64, 16)
"""Hidden widths of the released head (input 768 = CLIP ViT-L/14 embedding, output 1)."""
PROXY_COLUMNS = ("aesthetic_contrast", "aesthetic_colourfulness", "aesthetic_sharpness", "aesthetic_centring", "aesthetic_simplicity")
RAW_COLUMN = "aesthetic_laion"
"""The raw prediction on the 1-10 scale (needs the column in the aesthetic registration)."""
SOURCE = "laion-v2"
SOURCE_CUSTOM = "laion-v2-custom"
VERSION = 1


def raw_to_unit(raw):
    """Map the 1-10 LAION scale onto [0, 1]: ``clip((raw - 1) / 9, 0, 1)``.

    Linear, so it keeps the order and the ratios of differences; 1 -> 0, 5.5 ->
    0.5, 10 -> 1.  (VBench divides by 10 instead; HELM reports the raw 1-10.)
    """
    return np.clip((np.asarray(raw, dtype=np.float64) - 1.0) / 9.0, 0.0, 1.0)


def make_head(in_dim: int = 768, hidden: Sequence[int] = HIDDEN):
    """The head's architecture, randomly initialised (``layers`` = the released key layout)."""
    from torch import nn

    h1, h2, h3, h4 = hidden

    class AestheticHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.Sequential(
                nn.Linear(in_dim, h1), nn.Dropout(0.2),
                nn.Linear(h1, h2), nn.Dropout(0.2),
                nn.Linear(h2, h3), nn.Dropout(0.1),
                nn.Linear(h3, h4),
                nn.Linear(h4, 1),
            )

        def forward(self, x):
            return self.layers(x)

    return AestheticHead()


def load_head(path: Path | str):
    """Load a head state dict (safetensors, or ``torch.load(weights_only=True)``) and check its layout.

    The keys must be exactly :data:`HEAD_KEYS`; the widths are read from the
    shapes and must chain (the released file is 768-1024-128-64-16-1).
    """
    import torch

    from metrics.weights import WeightsError

    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path), device="cpu")
        else:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError, RuntimeError, SafetensorError: all "not this file"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise WeightsError(f"{path}: expected an aesthetic-head state dict (safetensors or torch weights_only); {first}") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{path}: expected a state dict of tensors with keys {', '.join(HEAD_KEYS)}; got {type(state).__name__}")
    missing = [k for k in HEAD_KEYS if k not in state]
    extra = sorted(k for k in state if k not in HEAD_KEYS)
    if missing or extra:
        raise WeightsError(
            f"{path}: expected keys {', '.join(HEAD_KEYS)}; missing {', '.join(missing) or 'none'}, "
            f"unexpected {', '.join(extra[:6]) or 'none'}{' ...' if len(extra) > 6 else ''}"
        )
    w = [state[f"layers.{i}.weight"] for i in (0, 2, 4, 6, 7)]
    dims = [int(w[0].shape[1])] + [int(t.shape[0]) for t in w]
    ok = all(t.ndim == 2 for t in w) and dims[-1] == 1 and all(int(w[j].shape[1]) == dims[j] for j in range(5))
    ok = ok and all(tuple(state[f"layers.{i}.bias"].shape) == (dims[j + 1],) for j, i in enumerate((0, 2, 4, 6, 7)))
    if not ok:
        shapes = ", ".join(f"{k} {tuple(state[k].shape)}" for k in HEAD_KEYS)
        raise WeightsError(f"{path}: expected chained Linear layers ending in 1 output (768-1024-128-64-16-1); got {shapes}")
    head = make_head(dims[0], dims[1:5])
    head.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
    return head.eval()


class LaionAesthetic:
    """The LAION improved aesthetic predictor v2 on OpenAI CLIP ViT-L/14 (local weights).

    Parameters
    ----------
    weights_dir : path, optional
        Folder holding the files of ``metrics/weights.toml`` (default: ``$REALGAP_WEIGHTS``).
    device : str
    allow_custom_head : bool
        Accept a head whose sha256 differs from the manifest; the scores are then
        labelled ``laion-v2-custom`` and the head's own hash is recorded.
    arch, clip_file, head_file : str, optional
        open_clip architecture (default: the manifest entry's, ``ViT-L-14``) and
        the manifest keys or relative file names of the CLIP checkpoint and the
        head (default: ``clip-vit-l-14-openai`` = ``ViT-L-14.pt`` and
        ``laion-aesthetic-v2`` = ``sac+logos+ava1-l14-linearMSE.pth``).
    manifest : path or mapping, optional
        Another manifest (tests use one listing a tiny CLIP).
    clip : metrics.clip_scores.ClipBackbone, optional
        An already loaded CLIP to share with other scorers.

    Notes
    -----
    ``raw = head(e / ||e||_2)`` where ``e`` is CLIP's image embedding of the
    image preprocessed as CLIP was trained (8-bit RGB, bicubic resize of the
    short side to 224 px, centre crop, normalised with the OpenAI mean
    (0.4815, 0.4578, 0.4082) and std (0.2686, 0.2613, 0.2758)).  Fed the
    unnormalised embedding the head gives nonsense around 20-30.  ``aesthetic =
    clip((raw - 1) / 9, 0, 1)`` (:func:`raw_to_unit`); ``aesthetic_laion = raw``.
    The predictor was fitted to human ratings (SAC, LAION-Logos, AVA); scores
    are comparable within one prompt, not across very different subjects.

    References
    ----------
    .. [1] Schuhmann, C. (2022). improved-aesthetic-predictor (v2, "sac+logos+ava1-l14-linearMSE").
       github.com/christophschuhmann/improved-aesthetic-predictor
    .. [2] Schuhmann et al. (2022). LAION-5B: an open large-scale dataset for
       training next generation image-text models. NeurIPS Datasets and
       Benchmarks. arXiv:2210.08402
    """

    def __init__(
        self,
        weights_dir: Path | str | None = None,
        device: str = "cpu",
        allow_custom_head: bool = False,
        *,
        arch: str | None = None,
        clip_file: str | None = None,
        head_file: str | None = None,
        manifest=None,
        clip=None,
    ):
        from metrics.weights import CLIP_KEY, HEAD_KEY, WeightsError, manifest_entries, verify
        from metrics.clip_scores import load_clip

        entries = manifest_entries(manifest)
        self.head_weights = verify(head_file or HEAD_KEY, weights_dir=weights_dir, allow_custom=allow_custom_head,
                                   manifest=entries, custom_flag="--allow-custom-head")
        self.head = load_head(self.head_weights.path)
        if clip is None:
            clip_weights = verify(clip_file or CLIP_KEY, weights_dir=weights_dir, manifest=entries, custom_flag=None)
            clip = load_clip(clip_weights, arch=arch, device=device)
        self.clip = clip
        in_dim = int(self.head.layers[0].in_features)
        if in_dim != clip.embed_dim:
            raise WeightsError(
                f"{self.head_weights.path}: expected a head for {clip.embed_dim}-d embeddings ({clip.arch}); "
                f"its first layer takes {in_dim}"
            )
        self.head = self.head.to(clip.device)
        self.source = SOURCE if self.head_weights.status == "verified" else SOURCE_CUSTOM

    def identity(self) -> dict[str, Any]:
        return {"scorer": self.source, "version": VERSION, "scale": "clip((raw-1)/9,0,1)",
                "head": self.head_weights.identity(), "clip": self.clip.identity()}

    def head_scores(self, features) -> np.ndarray:
        """The head applied to the given embeddings as they are (no normalisation); float64 N."""
        import torch

        with torch.inference_mode():
            out = self.head(torch.as_tensor(features, dtype=torch.float32).to(self.clip.device))
        return out.reshape(-1).double().cpu().numpy()

    def score_batch(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Raw LAION scores (1-10 scale) for a batch of images; equals scoring them one by one."""
        f = self.clip.image_features(images)
        raw = self.head_scores(f / f.norm(dim=-1, keepdim=True))
        if not np.isfinite(raw).all():
            raise ValueError("the aesthetic head returned a non-finite score")
        return raw

    def __call__(self, image: np.ndarray, scene=None) -> dict[str, Any]:
        raw = float(self.score_batch([image])[0])
        return {
            "aesthetic": float(raw_to_unit(raw)),
            RAW_COLUMN: raw,
            **{c: math.nan for c in PROXY_COLUMNS},
            "aesthetic_source": self.source,
            "aesthetic_note": "",
        }


__all__ = ["HEAD_KEYS", "LaionAesthetic", "PROXY_COLUMNS", "RAW_COLUMN", "load_head", "make_head", "raw_to_unit"]
