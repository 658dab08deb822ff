"""Local model weights: find them and verify them before a scorer loads them.

realgap downloads nothing.  The files the model-backed scorers need are listed in
``metrics/weights.toml`` (relative path, SHA-256, size, source URL, licence); they
live in one folder given by ``--weights-dir DIR`` or the ``REALGAP_WEIGHTS``
environment variable.  Every file is checked against the manifest before it is
loaded; a missing file or a wrong hash raises :class:`WeightsError`, one line that
names the path, the expected hash and where to get the file.

Hashes are computed by streaming the file and cached per (path, size, mtime) for
the life of the process, so a run hashes each file once, not once per image.

This module sits below the scorers that load weights (:mod:`metrics.clip_scores`,
:mod:`metrics.laion`) and imports nothing of realgap.  Building the scoring of a
run from a weights folder, and the command-line options for it, are
application glue in :mod:`bench.weights`.
"""

from __future__ import annotations

import hashlib
import os
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

ENV_VAR = "REALGAP_WEIGHTS"
MANIFEST_PATH = Path(__file__).with_name("weights.toml")
CLIP_KEY = "clip-vit-l-14-openai"
"""Manifest entry of the CLIP backbone shared by the LAION head and CLIPScore."""
HEAD_KEY = "laion-aesthetic-v2"
"""Manifest entry of the LAION improved aesthetic predictor v2 head."""
MANIFEST_NAME = f"metrics/{MANIFEST_PATH.name}"
"""How messages name the bundled manifest (its place in the source tree)."""
HOW_TO_SUPPLY = f"pass --weights-dir DIR or set {ENV_VAR} to a folder holding the files listed in {MANIFEST_NAME}"


class WeightsError(ValueError):
    """A weights file or folder is missing, unlisted or not the expected file (one line)."""


@dataclass(frozen=True)
class WeightsEntry:
    """One file of the manifest."""

    key: str
    path: str
    """Location inside the weights folder."""
    sha256: str
    source: str
    """Where to download it (on a machine with network)."""
    licence: str = ""
    description: str = ""
    size: int | None = None
    """Size in bytes; ``None`` where no published size is known (the hash is still checked)."""
    arch: str | None = None
    """open_clip architecture name (CLIP files only)."""
    quick_gelu: bool = False
    """Whether the checkpoint was trained with QuickGELU (OpenAI CLIP was)."""
    format: str = ""
    """``torch-state-dict``, ``safetensors`` or ``torchscript``."""


@dataclass(frozen=True)
class WeightsFile:
    """A file that passed :func:`verify`."""

    path: Path
    sha256: str
    status: str
    """``verified`` (matches its manifest entry) or ``custom`` (accepted with allow_custom)."""
    entry: WeightsEntry | None = None
    """The manifest entry it was checked against (``None`` for an unlisted custom file)."""
    size: int = 0

    @property
    def key(self) -> str:
        return self.entry.key if self.entry else "custom"

    def identity(self) -> dict[str, Any]:
        """What a run records about this file (part of the scoring cache key)."""
        return {"file": self.path.name, "sha256": self.sha256, "status": self.status}


# --------------------------------------------------------------------------- manifest

def load_manifest(path: Path | str | None = None) -> dict[str, WeightsEntry]:
    """The entries of a ``weights.toml`` manifest (default: the bundled one), by key."""
    path = Path(path) if path is not None else MANIFEST_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WeightsError(f"{path}: expected the weights manifest; not found (reinstall realgap)") from None
    except tomllib.TOMLDecodeError as exc:
        raise WeightsError(f"{path}: expected a TOML weights manifest; {exc}") from None
    files = data.get("files")
    if not isinstance(files, dict) or not files:
        raise WeightsError(f"{path}: files: expected a table of [files.<key>] entries; got {type(files).__name__}")
    out: dict[str, WeightsEntry] = {}
    for key, raw in files.items():
        missing = [f for f in ("path", "sha256", "source") if not isinstance(raw.get(f), str) or not raw.get(f)]
        if missing:
            raise WeightsError(f"{path}: files.{key}: expected fields path, sha256, source; missing {', '.join(missing)}")
        sha = raw["sha256"].lower()
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise WeightsError(f"{path}: files.{key}.sha256: expected 64 hex digits; got '{raw['sha256']}'")
        size = raw.get("size")
        if size is not None and (not isinstance(size, int) or size <= 0):
            raise WeightsError(f"{path}: files.{key}.size: expected a positive number of bytes; got {size!r}")
        out[key] = WeightsEntry(
            key=key, path=raw["path"], sha256=sha, source=raw["source"], licence=raw.get("licence", ""),
            description=raw.get("description", ""), size=size, arch=raw.get("arch"),
            quick_gelu=bool(raw.get("quick_gelu", False)), format=raw.get("format", ""),
        )
    return out


def manifest_entries(manifest: Path | str | Mapping[str, WeightsEntry] | None) -> dict[str, WeightsEntry]:
    """Entries from a manifest path, a mapping of entries, or (None) the bundled manifest."""
    if manifest is None or isinstance(manifest, (str, Path)):
        return load_manifest(manifest)
    return dict(manifest)


def find_entry(name: str, manifest: Mapping[str, WeightsEntry]) -> WeightsEntry | None:
    """The entry whose key or relative path is ``name``."""
    if name in manifest:
        return manifest[name]
    for entry in manifest.values():
        if entry.path == name:
            return entry
    return None


# --------------------------------------------------------------------------- hashing

_HASH_CACHE: dict[tuple[str, int, int], str] = {}
_HASH_LOCK = threading.Lock()


def sha256_file(path: Path | str, *, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, streamed; cached per (resolved path, size, mtime) in this process."""
    p = Path(path).resolve()
    st = p.stat()
    key = (str(p), st.st_size, st.st_mtime_ns)
    with _HASH_LOCK:
        hit = _HASH_CACHE.get(key)
    if hit is not None:
        return hit
    h = hashlib.sha256()
    with p.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    digest = h.hexdigest()
    with _HASH_LOCK:
        _HASH_CACHE[key] = digest
    return digest


def check_shipped(path: Path, sha256: str, what: str, rebuild: str, error: type[Exception] = WeightsError) -> Path:
    """``path``, after checking that a file realgap ships is there and, when ``sha256`` is
    given, is that file; else ``error`` with one line naming the file: ``what`` was
    expected, and how to ``rebuild`` it."""
    if not path.is_file():
        raise error(f"{path}: expected {what} shipped with realgap; not found (reinstall realgap, or {rebuild})")
    if sha256 and sha256_file(path) != sha256:
        raise error(f"{path}: expected SHA-256 {sha256}; the file differs")
    return path


class OnnxNet:
    """An ONNX network run by ONNX Runtime's CPU provider with one thread (realgap
    scores one image at a time per process; parallelism comes from processes).
    About twice as fast as OpenCV DNN on these networks (``python -m bench.perf``)."""

    def __init__(self, path: Path | str):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    def run(self, outputs: list[str], **inputs: np.ndarray) -> list[np.ndarray]:
        """The named outputs for float32 inputs given by name."""
        feed = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in inputs.items()}
        return self.session.run(outputs, feed)


_SHIPPED: dict[tuple, Any] = {}
_SHIPPED_LOCK = threading.Lock()


def read_shipped(path: Path, sha256: str, what: str, rebuild: str, error: type[Exception] = WeightsError,
                 load=None) -> Any:
    """``load(path)`` of a file realgap ships (an :class:`OnnxNet` by default), after
    :func:`check_shipped`; loaded once per process, file, SHA-256 and loader."""
    load = OnnxNet if load is None else load
    key = (str(path), sha256, load)
    with _SHIPPED_LOCK:
        if key not in _SHIPPED:
            _SHIPPED[key] = load(check_shipped(path, sha256, what, rebuild, error))
        return _SHIPPED[key]


# --------------------------------------------------------------------------- resolving

def weights_root(weights_dir: Path | str | None = None) -> Path | None:
    """The weights folder: ``weights_dir`` if given, else ``$REALGAP_WEIGHTS``, else ``None``.

    The folder is not checked here (see :func:`require_root`).
    """
    if weights_dir is not None and str(weights_dir) != "":
        return Path(weights_dir).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else None


def require_root(weights_dir: Path | str | None = None) -> Path:
    """The weights folder, which must exist; otherwise a one-line :class:`WeightsError`."""
    root = weights_root(weights_dir)
    if root is None:
        raise WeightsError(f"no weights folder given: {HOW_TO_SUPPLY}")
    if not root.is_dir():
        origin = "--weights-dir" if weights_dir not in (None, "") else f"${ENV_VAR}"
        what = "a file, not a folder" if root.exists() else "not found"
        raise WeightsError(f"{root}: expected the weights folder (from {origin}); {what}. {HOW_TO_SUPPLY[0].upper()}{HOW_TO_SUPPLY[1:]}")
    return root


def verify_path(
    path: Path | str,
    entry: WeightsEntry | None = None,
    *,
    allow_custom: bool = False,
    manifest: Path | str | Mapping[str, WeightsEntry] | None = None,
    custom_flag: str | None = "allow_custom=True",
) -> WeightsFile:
    """Check one file against ``entry`` (or, without one, against any manifest entry by hash).

    A file whose hash differs from its entry, or an unlisted file, is accepted
    only with ``allow_custom`` and is then recorded as ``custom`` with its own
    hash.  ``custom_flag`` names the option that sets ``allow_custom`` in the
    error message (e.g. ``--allow-custom-head``); ``None`` where there is none.
    """
    path = Path(path)
    hint = f", or pass {custom_flag} to use your own file (recorded as 'custom')" if custom_flag else ""
    if not path.is_file():
        if entry is None:
            raise WeightsError(f"{path}: expected a weights file; not found")
        raise WeightsError(
            f"{path}: expected {entry.key} (sha256 {entry.sha256}); not found. Download {entry.source} "
            f"on a machine with network and copy it there (or point --weights-dir DIR / ${ENV_VAR} at a folder that holds it)"
        )
    size = path.stat().st_size
    if entry is None:
        digest = sha256_file(path)
        for known in manifest_entries(manifest).values():
            if known.sha256 == digest:
                return WeightsFile(path, digest, "verified", known, size)
        if allow_custom:
            return WeightsFile(path, digest, "custom", None, size)
        raise WeightsError(
            f"{path}: sha256 {digest} matches no file listed in {MANIFEST_NAME}; use a listed file{hint}"
        )
    if entry.size is not None and size != entry.size and not allow_custom:
        raise WeightsError(
            f"{path}: expected {entry.key} ({entry.size} bytes, sha256 {entry.sha256}); got {size} bytes. "
            f"Download it again from {entry.source}{hint}"
        )
    digest = sha256_file(path)
    if digest == entry.sha256:
        return WeightsFile(path, digest, "verified", entry, size)
    if allow_custom:
        return WeightsFile(path, digest, "custom", entry, size)
    raise WeightsError(
        f"{path}: expected {entry.key} with sha256 {entry.sha256}; got sha256 {digest}. "
        f"Download it again from {entry.source}{hint}"
    )


def verify(
    name: str,
    *,
    weights_dir: Path | str | None = None,
    allow_custom: bool = False,
    manifest: Path | str | Mapping[str, WeightsEntry] | None = None,
    custom_flag: str | None = "allow_custom=True",
) -> WeightsFile:
    """Find ``name`` (a manifest key, or a path inside the weights folder) and check it."""
    root = require_root(weights_dir)
    entries = manifest_entries(manifest)
    entry = find_entry(name, entries)
    if entry is None:
        path = root / name
        if not path.is_file():
            raise WeightsError(
                f"{path}: expected a weights file; not found ('{name}' is not listed in {MANIFEST_NAME}: "
                f"known files are {', '.join(sorted(entries))})"
            )
        return verify_path(path, None, allow_custom=allow_custom, manifest=entries, custom_flag=custom_flag)
    return verify_path(root / entry.path, entry, allow_custom=allow_custom, manifest=entries, custom_flag=custom_flag)


def resolve(
    name: str,
    *,
    weights_dir: Path | str | None = None,
    allow_custom: bool = False,
    manifest: Path | str | Mapping[str, WeightsEntry] | None = None,
) -> Path:
    """The verified path of ``name`` (see :func:`verify`)."""
    return verify(name, weights_dir=weights_dir, allow_custom=allow_custom, manifest=manifest).path


__all__ = [
    "CLIP_KEY", "ENV_VAR", "HEAD_KEY", "HOW_TO_SUPPLY", "MANIFEST_NAME", "MANIFEST_PATH", "WeightsEntry", "WeightsError",
    "WeightsFile", "find_entry", "load_manifest", "manifest_entries", "require_root", "resolve", "sha256_file", "verify",
    "verify_path", "weights_root",
]
