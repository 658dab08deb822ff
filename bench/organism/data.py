"""Datasets drawn with the procedural renderer (deterministic per index).

Images are rendered at ``render_size`` (default 64 px, anti-aliased) and
reduced to the model's native size with ``cv2.INTER_AREA``.
"""

from __future__ import annotations

import hashlib

import cv2
import numpy as np

from bench.generators.procedural import LABELS, render

from . import NATIVE_SIZE, ORGANISM_SCENES


def scenes_by_id(ids=ORGANISM_SCENES) -> list:
    from bench.spec import bundled_scenes

    bundled = {s.id: s for s in bundled_scenes()}
    missing = [i for i in ids if i not in bundled]
    if missing:
        raise ValueError(f"organism scenes: expected bundled scene ids; missing {', '.join(missing)}")
    return [bundled[i] for i in ids]


def _seed(tag: str, *parts) -> int:
    key = "|".join(["realgap-organism", tag, *map(str, parts)])
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "little")


def to_native(image: np.ndarray, native: int = NATIVE_SIZE) -> np.ndarray:
    """uint8 H x W x 3 -> uint8 native x native x 3 (area averaging)."""
    if image.shape[0] == native and image.shape[1] == native:
        return image
    return cv2.resize(image, (native, native), interpolation=cv2.INTER_AREA)


def render_native(scene, seed: int, *, iconic: float = 0.0, labels=None, native: int = NATIVE_SIZE,
                  render_size: int = 64) -> tuple[np.ndarray, dict]:
    img, truth = render(scene, int(seed), size=render_size, iconic=iconic, labels=labels)
    return to_native(img, native), truth


def label_vector(truth: dict) -> np.ndarray:
    return np.array([float(bool(truth[k])) for k in LABELS], np.float32)


def base_dataset(scenes, per_scene: int, *, iconic: float = 0.3, native: int = NATIVE_SIZE, tag: str = "base",
                 progress: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training images for the base model: each label drawn iconic with p=``iconic``.

    Returns (images uint8 N x native x native x 3, class ids int64 N, labels float32 N x 4).
    """
    imgs, cls, labs = [], [], []
    for c, sc in enumerate(scenes):
        for i in range(per_scene):
            img, truth = render_native(sc, _seed(tag, sc.id, i), iconic=iconic, native=native)
            imgs.append(img)
            cls.append(c)
            labs.append(label_vector(truth))
        if progress:
            print(f"  data: {sc.id}: {per_scene} images", flush=True)
    return np.stack(imgs), np.array(cls, np.int64), np.stack(labs)


def labelled_dataset(scenes, per_scene: int, *, native: int = NATIVE_SIZE, tag: str = "pairs") -> dict:
    """Images with every label drawn uniformly (iconic=0.5): the raters' pool.

    Returns dict(images uint8, cls int64, labels float32 N x 4).
    """
    imgs, cls, labs = base_dataset(scenes, per_scene, iconic=0.5, native=native, tag=tag)
    return {"images": imgs, "cls": cls, "labels": labs}


def to_tensor(images: np.ndarray):
    """uint8 N x H x W x 3 -> float32 torch N x 3 x H x W in [-1, 1]."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    return x / 127.5 - 1.0


def to_uint8(x) -> np.ndarray:
    """torch N x 3 x H x W in [-1, 1] -> uint8 N x H x W x 3."""
    arr = ((x.detach().float().clamp(-1, 1) + 1.0) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
    return np.ascontiguousarray(arr)
