"""Image and file I/O: checked decoding, atomic writes.

Decoding never raises for a bad file: it returns a status word that goes into
the ``status`` column (``missing``, ``empty``, ``truncated``, ``unreadable``,
``blank``, ``too-small``) and a one-line reason.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

def _file_mode() -> int:
    """0666 minus the process umask: what open() would give a new file (mkstemp gives 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _file_mode()
MIN_SIDE = 16  # smaller images carry too little structure to score
MAX_PIXELS = 64_000_000


@dataclass(frozen=True)
class Loaded:
    image: np.ndarray | None
    """float32 H x W x 3 in [0, 1], or None when the file is unusable."""
    status: str
    detail: str = ""
    rgb: np.ndarray | None = None
    """The decoded uint8 RGB pixels (None when unusable)."""


def to_float(image_u8: np.ndarray) -> np.ndarray:
    """uint8 RGB -> float32 in [0, 1] (the one conversion every scorer input goes through)."""
    return (np.asarray(image_u8, dtype=np.float32) / np.float32(255.0)).astype(np.float32, copy=False)


def check_pixels(rgb_u8: np.ndarray, shown: str) -> Loaded:
    """Status of a decoded uint8 RGB array (size and blankness checks)."""
    h, w = rgb_u8.shape[:2]
    if min(h, w) < MIN_SIDE:
        return Loaded(None, "too-small", f"{shown}: expected an image at least {MIN_SIDE} px on each side; got {w}x{h}")
    if int(rgb_u8.max()) - int(rgb_u8.min()) <= 2:
        return Loaded(
            None,
            "blank",
            f"{shown}: expected an image with visible structure; every pixel has the same value ({int(rgb_u8.mean())})",
        )
    return Loaded(to_float(rgb_u8), "ok", rgb=rgb_u8)


def load_image(path: str | Path) -> Loaded:
    """Decode an image file to float32 RGB, or say precisely why it cannot be used."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    shown = str(path)
    if not path.exists():
        return Loaded(None, "missing", f"{shown}: expected an image file; not found")
    if not path.is_file():
        return Loaded(None, "unreadable", f"{shown}: expected an image file; it is a folder")
    if path.stat().st_size == 0:
        return Loaded(None, "empty", f"{shown}: expected an image file; the file is empty (0 bytes)")
    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_PIXELS:
                return Loaded(None, "too-large", f"{shown}: expected at most {MAX_PIXELS} pixels; got {im.width}x{im.height}")
            im.load()
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                arr = np.asarray(im, dtype=np.float64)
                arr = (arr / max(1.0, arr.max()) * 255.0).round().astype(np.uint8)
                rgb = np.repeat(arr[..., None], 3, axis=2)
            else:
                rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
    except UnidentifiedImageError:
        return Loaded(None, "unreadable", f"{shown}: expected a PNG/JPEG/WebP image; the file is not an image")
    except (OSError, SyntaxError, ValueError) as exc:
        msg = str(exc)
        if "truncated" in msg.lower() or "broken data stream" in msg.lower() or "unexpected end" in msg.lower():
            return Loaded(None, "truncated", f"{shown}: expected a complete image; the file is truncated ({msg})")
        return Loaded(None, "unreadable", f"{shown}: expected a decodable image; {msg}")
    return check_pixels(rgb, shown)


def encode_png(image_u8: np.ndarray) -> bytes:
    """Lossless, deterministic PNG bytes of a uint8 RGB array."""
    import cv2

    ok, buf = cv2.imencode(".png", np.ascontiguousarray(image_u8[..., ::-1]), [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write a file so that a reader (or a resumed run) sees the old file or the
    whole new one, never a part: temp file in the same folder, fsync, rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _jsonable(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return _jsonable(x.item())
    return x


def dumps_json(obj: Any) -> str:
    """Stable JSON text (sorted keys, NaN as null, trailing newline)."""
    return json.dumps(_jsonable(obj), indent=2, sort_keys=True, allow_nan=False) + "\n"


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, dumps_json(obj))
