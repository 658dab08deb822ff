"""CLIP-backed scores: prompt alignment (CLIPScore) and a zero-shot mid-process cue.

The registered ``alignment`` scorer is the default without weights: it returns
NaN and a note saying how to supply them, never a made-up number.  With local
weights (``--weights-dir`` / ``$REALGAP_WEIGHTS``, see ``metrics/weights.py``),
:class:`ClipScorer` replaces it through ``Scoring(overrides={"alignment": ...})``.

:class:`ClipBackbone` (built by :func:`load_clip`) is one loaded open_clip model
with its preprocessing and tokenizer; the LAION aesthetic predictor
(``metrics.laion``) and :class:`ClipScorer` share one instance, and
:meth:`ClipBackbone.embed` gives L2-normalised image embeddings (e.g. for a
Vendi diversity score).

torch and open_clip are imported only when a model is loaded, so importing this
module (which ``metrics.suite`` does) stays cheap.
"""

from __future__ import annotations

import hashlib
import logging
import math
import warnings
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from metrics.registry import register

COLUMNS = ("alignment", "alignment_transitional_cue")
TEXT_COLUMNS = ("alignment_source", "alignment_note")
NO_WEIGHTS_NOTE = "no CLIP weights: pass --weights-dir or set REALGAP_WEIGHTS (see README)"
CLIPSCORE_W = 2.5
"""Hessel et al. (2021) rescale cosine similarity by w = 2.5."""
VERSION = 1

PHASES = ("pre", "transitional", "end")
"""Zero-shot classes, in order; ``alignment_transitional_cue`` is the probability of the middle one."""

_STATES: dict[str, dict[str, tuple[str, ...]]] = {
    "fracture": {
        "pre": ("intact, just before it breaks", "whole and undamaged, a moment before the impact"),
        "transitional": ("caught mid-way as it breaks, shards and fragments in flight",
                         "frozen mid-fracture, cracks spreading and pieces flying apart"),
        "end": ("after it broke, the pieces lying still", "the broken pieces at rest afterwards"),
    },
    "impact": {
        "pre": ("just before the impact, nothing touched yet", "a moment before the collision, everything intact"),
        "transitional": ("at the instant of impact, debris and dust in flight",
                         "frozen mid-impact, material deforming and fragments flying out"),
        "end": ("after the impact, everything settled and at rest", "the aftermath, the debris lying still"),
    },
    "fluid": {
        "pre": ("calm, just before the splash", "a still surface a moment before the impact"),
        "transitional": ("mid-splash, droplets and spray in mid-air",
                         "frozen mid-way, a sheet of liquid breaking into flying droplets"),
        "end": ("after the splash, the liquid at rest again", "the calm surface afterwards, ripples fading"),
    },
}
_STATES["generic"] = {
    "pre": ("intact, just before it happens", "a moment before the event, everything still"),
    "transitional": ("caught mid-way, pieces in flight", "frozen mid-process, fragments and droplets flying"),
    "end": ("after it is over, everything at rest", "the aftermath, everything lying still"),
}
_TEMPLATES = ("a high-speed photograph, {subject}, {state}", "a photo of {subject}, {state}")
_GENERIC_SUBJECT = "an object breaking or a liquid splashing"


def cue_prompts(scene=None) -> dict[str, list[str]]:
    """The zero-shot prompts per phase for a scene (or generic ones without a scene)."""
    subject = (getattr(scene, "title", "") or "").strip().lower() or _GENERIC_SUBJECT
    family = getattr(scene, "family", None)
    states = _STATES.get(family, _STATES["generic"])
    return {ph: [t.format(subject=subject, state=s) for t in _TEMPLATES for s in states[ph]] for ph in PHASES}


@register("alignment", version=VERSION, columns=COLUMNS, text_columns=TEXT_COLUMNS, higher_is_better=True, range=(0.0, 1.0))
def alignment(image: np.ndarray, scene=None) -> dict[str, Any]:
    """Prompt alignment (CLIPScore) and CLIP's zero-shot mid-process probability.

    Without local CLIP weights both columns are NaN and ``alignment_note`` says
    how to supply them; with weights, :class:`ClipScorer` computes them.

    References
    ----------
    .. [1] Hessel, Holtzman, Forbes, Le Bras & Choi (2021). CLIPScore: a
       reference-free evaluation metric for image captioning. EMNLP 2021.
       doi:10.18653/v1/2021.emnlp-main.595
    """
    return {"alignment": math.nan, "alignment_transitional_cue": math.nan,
            "alignment_source": "none", "alignment_note": NO_WEIGHTS_NOTE}


# --------------------------------------------------------------------------- loading

def to_pil(image: np.ndarray):
    """A float H x W x 3 image in [0, 1] as an 8-bit RGB PIL image (CLIP's preprocessing starts from PIL)."""
    from PIL import Image

    a = np.asarray(image)
    if a.ndim != 3 or a.shape[2] != 3 or a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"expected an H x W x 3 image; got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"expected a float image in [0, 1]; got dtype {a.dtype}")
    if not np.isfinite(a).all():
        raise ValueError("expected finite pixel values; the image has NaN or inf")
    lo, hi = float(a.min()), float(a.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise ValueError(f"expected pixel values in [0, 1]; got [{lo:.4g}, {hi:.4g}]")
    u8 = np.round(np.clip(a, 0.0, 1.0) * 255.0).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(u8), "RGB")


def is_torchscript(path: Path | str) -> bool:
    """True for a TorchScript archive (what OpenAI's ``ViT-L-14.pt`` is)."""
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.endswith("/constants.pkl") or "/code/" in n for n in z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


@contextmanager
def _quiet_random_init():
    """Hide open_clip's "initialized randomly" warning while weights are loaded right after."""
    prev = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(prev)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class ClipBackbone:
    """One loaded open_clip model with its preprocessing and tokenizer (float32, eval mode)."""

    def __init__(self, model, preprocess, tokenizer, *, arch: str, weights, device: str = "cpu"):
        self.model = model
        self.preprocess = preprocess
        self.tokenizer = tokenizer
        self.arch = arch
        self.weights = weights
        """The :class:`metrics.weights.WeightsFile` it was loaded from."""
        self.device = str(device)
        self._last: tuple[bytes, Any] | None = None
        """(key, features) of the last single image encoded: the aesthetic and alignment
        scorers see the same image one after the other, so it is encoded once."""

    @property
    def embed_dim(self) -> int:
        """Width of the image embedding (768 for ViT-L/14)."""
        dim = getattr(self.model.visual, "output_dim", None)
        return int(dim) if dim is not None else int(self.model.text_projection.shape[1])

    @property
    def logit_scale(self) -> float:
        return float(self.model.logit_scale.detach().exp().cpu())

    @property
    def context_length(self) -> int:
        return int(getattr(self.tokenizer, "context_length", 77))

    def identity(self) -> dict[str, Any]:
        return {"arch": self.arch, **self.weights.identity()}

    def image_features(self, images: Sequence[np.ndarray], *, batch_size: int = 16):
        """Unnormalised image embeddings, a float32 CPU tensor N x D.

        A single image that equals the previous single image (same bytes, shape
        and dtype) reuses its features: bit-identical to encoding it again.
        """
        if len(images) == 0:
            raise ValueError("expected at least one image; got none")
        if len(images) != 1:
            return self._encode(images, batch_size)
        a = np.asarray(images[0])
        h = hashlib.blake2b(repr((a.shape, a.dtype.str)).encode(), digest_size=16)
        h.update(np.ascontiguousarray(a).data)
        key = h.digest()
        if self._last is not None and self._last[0] == key:
            return self._last[1].clone()
        f = self._encode(images, batch_size)
        self._last = (key, f.clone())
        return f

    def _encode(self, images: Sequence[np.ndarray], batch_size: int):
        import torch

        out = []
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                x = torch.stack([self.preprocess(to_pil(im)) for im in images[start:start + batch_size]])
                out.append(self.model.encode_image(x.to(self.device)).float().cpu())
        return torch.cat(out)

    def text_features(self, texts: Sequence[str]):
        """Unnormalised text embeddings, a float32 CPU tensor N x D."""
        import torch

        with torch.inference_mode():
            tokens = self.tokenizer(list(texts))
            return self.model.encode_text(tokens.to(self.device)).float().cpu()

    def embed(self, images: Sequence[np.ndarray], *, batch_size: int = 16) -> np.ndarray:
        """L2-normalised image embeddings, float32 N x D (rows are unit vectors)."""
        f = self.image_features(images, batch_size=batch_size)
        return (f / f.norm(dim=-1, keepdim=True)).numpy().astype(np.float32)

    def n_tokens(self, text: str) -> int:
        """Tokens of ``text`` including start and end tokens (before truncation)."""
        enc = getattr(self.tokenizer, "encode", None)
        return len(enc(text)) + 2 if enc else self.context_length


def load_clip(
    weights,
    *,
    arch: str | None = None,
    device: str = "cpu",
    quick_gelu: bool | None = None,
    allow_custom: bool = False,
    manifest=None,
) -> ClipBackbone:
    """Load an open_clip model from a local file, offline, after checking the file.

    ``weights`` is a :class:`metrics.weights.WeightsFile` (already verified) or a
    path, which is checked here against the manifest (an unlisted file needs
    ``allow_custom``).  ``arch`` defaults to the manifest entry's (``ViT-L-14``);
    ``quick_gelu`` to the entry's (OpenAI checkpoints were trained with
    QuickGELU, and open_clip does not know that for a file path).

    A plain state dict (``.safetensors``, or a ``torch.save`` file loadable with
    ``weights_only=True``) goes through
    ``open_clip.create_model_and_transforms(arch, pretrained=<path>)``.  A
    TorchScript archive (OpenAI's ``ViT-L-14.pt``) cannot be read with
    ``weights_only=True``; it is read with ``torch.jit.load`` and only when its
    sha256 matched the manifest.
    """
    import open_clip
    import torch

    from metrics.weights import WeightsError, WeightsFile, find_entry, manifest_entries, verify_path

    if not isinstance(weights, WeightsFile):
        p = Path(weights)
        entries = manifest_entries(manifest)
        weights = verify_path(p, find_entry(p.name, entries), allow_custom=allow_custom, manifest=entries)
    path = weights.path
    entry = weights.entry
    arch = arch or (entry.arch if entry is not None else None)
    if not arch:
        raise WeightsError(f"{path}: expected an open_clip architecture name for this file (e.g. arch='ViT-B-32'); got none")
    if arch not in open_clip.list_models():
        import difflib

        close = difflib.get_close_matches(arch, open_clip.list_models(), n=1)
        raise WeightsError(f"{path}: arch: expected an open_clip architecture; got '{arch}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    if quick_gelu is None:
        quick_gelu = bool(entry.quick_gelu) if entry is not None else False

    if is_torchscript(path):
        if weights.status != "verified":
            raise WeightsError(
                f"{path}: a TorchScript archive is loaded only when its sha256 matches metrics/weights.toml "
                f"(got {weights.sha256}); save its state dict as .safetensors to use it as a custom file"
            )
        with _quiet_random_init():
            model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=None, force_quick_gelu=quick_gelu)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated; the file is TorchScript
                state = torch.jit.load(str(path), map_location="cpu").state_dict()
            for key in ("input_resolution", "context_length", "vocab_size"):
                state.pop(key, None)
            model.load_state_dict(state, strict=True)
        except (RuntimeError, ValueError) as exc:
            raise WeightsError(f"{path}: expected {arch} weights; {_one_line(exc)}") from None
    else:
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                arch, pretrained=str(path), force_quick_gelu=quick_gelu, weights_only=True
            )
        except Exception as exc:  # open_clip raises RuntimeError / UnpicklingError / KeyError for a wrong file
            raise WeightsError(f"{path}: expected {arch} weights as a state dict; {_one_line(exc)}") from None
    model = model.float().to(device).eval()
    tokenizer = open_clip.get_tokenizer(arch)
    return ClipBackbone(model, preprocess, tokenizer, arch=arch, weights=weights, device=device)


def _resolve_backbone(weights, *, key: str, arch, device, allow_custom, manifest) -> ClipBackbone:
    from metrics.weights import WeightsError, find_entry, manifest_entries, verify, verify_path

    if weights is None:
        raise WeightsError("no CLIP weights given: pass --weights-dir DIR or set REALGAP_WEIGHTS")
    entries = manifest_entries(manifest)
    w = Path(weights)
    if w.is_dir():
        wf = verify(key, weights_dir=w, allow_custom=allow_custom, manifest=entries)
    else:
        wf = verify_path(w, find_entry(w.name, entries), allow_custom=allow_custom, manifest=entries)
    return load_clip(wf, arch=arch, device=device)


# --------------------------------------------------------------------------- scorer

class ClipScorer:
    """``alignment`` with CLIP weights: CLIPScore against the scene prompt, and the
    zero-shot probability that the image shows the mid-process instant.

    Parameters
    ----------
    weights : path
        A weights folder (the manifest entry ``weights_key`` is used) or a file.
    arch : str, optional
        open_clip architecture; default: the manifest entry's (``ViT-L-14``).
    device : str
    allow_custom : bool
        Accept a file whose sha256 is not in the manifest (recorded as ``custom``).
    clip : ClipBackbone, optional
        An already loaded backbone to share (then ``weights`` is not read).

    Notes
    -----
    ``alignment = clip(2.5 * max(cos(image, prompt), 0), 0, 1)`` (CLIPScore [1]_
    with w = 2.5; cosines above 0.4 saturate at 1).  NaN without a scene or with
    an empty prompt.  Prompts longer than the context (77 tokens for OpenAI CLIP)
    are truncated and the note says so.

    ``alignment_transitional_cue``: softmax over ``logit_scale * cos`` between
    the image and three prompt ensembles built from the scene title and family
    (before / mid-way with pieces in flight / after, at rest), as in CLIP's
    zero-shot classification [2]_; the probability of "mid-way".  Without a
    scene a generic subject is used.  Compare it within a prompt set, not
    across backbones: the value depends on the prompts and on ``logit_scale``.

    References
    ----------
    .. [1] Hessel, Holtzman, Forbes, Le Bras & Choi (2021). CLIPScore: a
       reference-free evaluation metric for image captioning. EMNLP 2021.
       doi:10.18653/v1/2021.emnlp-main.595
    .. [2] Radford et al. (2021). Learning transferable visual models from
       natural language supervision. ICML 2021. arXiv:2103.00020
    """

    def __init__(
        self,
        weights: Path | str | None = None,
        arch: str | None = None,
        device: str = "cpu",
        *,
        allow_custom: bool = False,
        manifest=None,
        clip: ClipBackbone | None = None,
        weights_key: str | None = None,
    ):
        from metrics.weights import CLIP_KEY

        if clip is None:
            clip = _resolve_backbone(weights, key=weights_key or CLIP_KEY, arch=arch, device=device,
                                     allow_custom=allow_custom, manifest=manifest)
        self.clip = clip
        self.source = f"clip:{clip.arch}" + ("-custom" if clip.weights.status == "custom" else "")
        self._text_cache: dict[str, Any] = {}

    def identity(self) -> dict[str, Any]:
        return {"scorer": "clipscore", "version": VERSION, "w": CLIPSCORE_W, "clip": self.clip.identity()}

    def _text(self, texts: Sequence[str]):
        """Normalised text embeddings (cached per text)."""
        import torch

        todo = [t for t in dict.fromkeys(texts) if t not in self._text_cache]
        if todo:
            f = self.clip.text_features(todo)
            f = f / f.norm(dim=-1, keepdim=True)
            self._text_cache.update(zip(todo, f))
        return torch.stack([self._text_cache[t] for t in texts])

    def _phase_embeddings(self, scene):
        import torch

        prompts = cue_prompts(scene)
        rows = []
        for ph in PHASES:
            m = self._text(prompts[ph]).mean(dim=0)
            rows.append(m / m.norm())
        return torch.stack(rows)

    def embed(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """L2-normalised image embeddings, float32 N x D."""
        return self.clip.embed(images)

    def score_batch(self, images: Sequence[np.ndarray], scenes: Sequence | None = None) -> list[dict[str, Any]]:
        """``__call__`` for many images at once (one forward pass per 16 images)."""
        import torch

        scenes = list(scenes) if scenes is not None else [None] * len(images)
        if len(scenes) != len(images):
            raise ValueError(f"expected one scene per image; got {len(scenes)} scenes for {len(images)} images")
        img = torch.from_numpy(self.clip.embed(images))
        scale = self.clip.logit_scale
        rows = []
        for i, scene in enumerate(scenes):
            notes = []
            prompt = (getattr(scene, "prompt", "") or "").strip() if scene is not None else ""
            if not prompt:
                align = math.nan
                notes.append("no scene: alignment needs the scene prompt" if scene is None else "scene has no prompt")
            else:
                cos = float(img[i] @ self._text([prompt])[0])
                align = min(max(CLIPSCORE_W * max(cos, 0.0), 0.0), 1.0)
                if self.clip.n_tokens(prompt) > self.clip.context_length:
                    notes.append(f"prompt truncated to {self.clip.context_length} tokens")
            probs = torch.softmax(scale * (self._phase_embeddings(scene) @ img[i]), dim=0)
            rows.append({
                "alignment": align,
                "alignment_transitional_cue": float(probs[PHASES.index("transitional")]),
                "alignment_source": self.source,
                "alignment_note": "; ".join(notes),
            })
        return rows

    def __call__(self, image: np.ndarray, scene=None) -> dict[str, Any]:
        return self.score_batch([image], [scene])[0]


__all__ = [
    "COLUMNS", "ClipBackbone", "ClipScorer", "NO_WEIGHTS_NOTE", "TEXT_COLUMNS", "alignment", "cue_prompts",
    "is_torchscript", "load_clip", "to_pil",
]
