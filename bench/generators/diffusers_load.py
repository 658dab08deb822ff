"""Loading side of the ``diffusers:`` generator: sources, checks, LoRA files, devices, quiet libraries.

:func:`_resolve_source` tells a local pipeline folder, a single-file checkpoint
and a hub id apart and checks them before anything heavy is imported;
:func:`_from_pretrained`, :func:`_text2image_class` and the single-file helpers
load or pre-check a pipeline; :func:`_resolve_lora` and :func:`_resolve_device`
check ``--lora`` and ``--device``; the context managers keep the libraries'
chatter out of realgap's one-line errors.  Used by
:class:`bench.generators.diffusers_gen.DiffusersGenerator` (see its module
docstring for sources and options).  torch, diffusers and huggingface_hub are
imported inside the functions that need them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import warnings
from pathlib import Path
from typing import Any, Sequence

from bench.generators.base import ModelError
from metrics.weights import sha256_file

SINGLE_FILE_SUFFIXES = (".safetensors", ".ckpt")
LORA_SUFFIXES = (".safetensors", ".bin", ".pt")
ADAPTER = "realgap"
LORA_NOISE = ("No LoRA keys associated to", f"Loading {ADAPTER} was unsuccessful")
LORA_LOGGERS = ("diffusers.loaders.lora_base", "diffusers.loaders.peft", "diffusers.loaders.lora_pipeline")
HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)?")
# what every text-to-image pipeline call we make needs
CALL_ARGS = ("prompt", "height", "width", "num_inference_steps", "generator")


def file_sha256(path: Path) -> str:
    return sha256_file(path)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0].strip() if text else ""
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__


def _hub_offline() -> bool:
    """HF_HUB_OFFLINE as the user set it (read now, not at huggingface_hub's import)."""
    value = os.environ.get("HF_HUB_OFFLINE")
    if value is not None:
        return value.strip().upper() in ("1", "ON", "YES", "TRUE")
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _is_oom(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.cuda.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()
    )


@contextlib.contextmanager
def _quiet_diffusers():
    """Silence diffusers' info/warning chatter for a call whose failures we report ourselves."""
    from diffusers.utils import logging as dlog

    level = dlog.get_verbosity()
    dlog.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        dlog.set_verbosity(level)


@contextlib.contextmanager
def _drop_log_records(texts: Sequence[str], loggers: Sequence[str]):
    """Drop log records containing any of ``texts`` from the named loggers: diffusers'
    "No LoRA keys associated to CLIPTextModel" for a UNet-only LoRA (we check that the
    LoRA matched something ourselves) and its multi-line "Loading ... was unsuccessful"
    before an exception that we report as one line."""
    import logging

    class Drop(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            message = record.getMessage()
            return not any(t in message for t in texts)

    drop = Drop()
    targets = [logging.getLogger(name) for name in loggers]
    for lg in targets:
        lg.addFilter(drop)
    try:
        yield
    finally:
        for lg in targets:
            lg.removeFilter(drop)


def _resolve_source(source: str) -> tuple[str, Any, str | None]:
    """(kind, location, revision): kind is ``folder``, ``file`` or ``hub``."""
    path = Path(source).expanduser()
    if path.is_dir():
        return "folder", path.resolve(), None
    if path.is_file():
        if path.suffix.lower() not in SINGLE_FILE_SUFFIXES:
            raise ModelError(
                f"{path}: --model diffusers:<file>: expected a single-file checkpoint "
                f"({' or '.join(SINGLE_FILE_SUFFIXES)}) or a pipeline folder; got a '{path.suffix or 'no extension'}' file"
            )
        return "file", path.resolve(), None
    looks_like_path = (
        path.suffix.lower() in SINGLE_FILE_SUFFIXES
        or source.startswith(("/", ".", "~"))
        or "\\" in source
        or source.count("/") > 1
    )
    repo, at, revision = source.partition("@")
    if looks_like_path or not HUB_ID.fullmatch(repo) or (at and not revision):
        raise ModelError(
            f"{source}: --model diffusers:<hub id|folder|.safetensors>: no such folder or file, "
            f"and not a hub id of the form org/name[@revision]"
        )
    return "hub", repo, revision or None


def _check_pipeline_folder(folder: Path) -> None:
    index = folder / "model_index.json"
    if not index.is_file():
        weights = sorted(p.name for p in folder.iterdir() if p.suffix in SINGLE_FILE_SUFFIXES)
        hint = f"; for a single-file checkpoint pass the file itself, e.g. diffusers:{folder / weights[0]}" if weights else ""
        raise ModelError(
            f"{folder}: --model diffusers:<folder>: expected a diffusers pipeline folder with model_index.json "
            f"(as written by save_pretrained or `hf download`); not found{hint}"
        )
    try:
        json.loads(index.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{index}: expected the pipeline's model_index.json as JSON; {_first_line(exc)}") from None


def _from_pretrained(diffusers, where: str, kw: dict) -> Any:
    """AutoPipelineForText2Image (maps e.g. an img2img folder to its text-to-image twin), else DiffusionPipeline."""
    try:
        return diffusers.AutoPipelineForText2Image.from_pretrained(where, **kw)
    except ValueError as exc:
        if "AutoPipeline can't find a pipeline" not in str(exc):
            raise
    return diffusers.DiffusionPipeline.from_pretrained(where, **kw)


def _unsupported_text(location, class_name: str, missing: list[str]) -> str:
    return (
        f"{location}: {class_name}: unsupported pipeline: expected a text-to-image pipeline "
        f"whose call takes {', '.join(CALL_ARGS)}; it lacks {', '.join(missing)}"
    )


def _text2image_class(class_name: str):
    """The class AutoPipelineForText2Image would load for ``class_name`` (e.g. an img2img
    pipeline's text-to-image twin), else the class itself; None for unknown (custom) classes."""
    import diffusers

    try:
        from diffusers.pipelines.auto_pipeline import AUTO_TEXT2IMAGE_PIPELINES_MAPPING, _get_task_class

        return _get_task_class(AUTO_TEXT2IMAGE_PIPELINES_MAPPING, class_name)
    except Exception:  # noqa: BLE001 - not mapped (or a diffusers without this helper)
        cls = getattr(diffusers, class_name, None)
        return cls if isinstance(cls, type) else None


@contextlib.contextmanager
def _no_loading_bars():
    """Hide the loading progress bars of diffusers, transformers and huggingface_hub."""
    import diffusers.utils.logging as dlog
    import huggingface_hub.utils as hub
    import transformers.utils.logging as tlog

    restore = []
    for mod in (dlog, tlog):
        if mod.is_progress_bar_enabled():
            mod.disable_progress_bar()
            restore.append(mod.enable_progress_bar)
    if not hub.are_progress_bars_disabled():
        hub.disable_progress_bars()
        restore.append(hub.enable_progress_bars)
    try:
        yield
    finally:
        for enable in restore:
            enable()


def _dtype_keyword(diffusers) -> str:
    """``dtype`` on diffusers that deprecate ``torch_dtype`` (0.36+), else ``torch_dtype``."""
    return "dtype" if hasattr(diffusers.utils, "_resolve_dtype") else "torch_dtype"


def _is_sdxl_checkpoint(path: Path) -> bool:
    """SDXL checkpoints carry a second text encoder under ``conditioner.embedders.1``."""
    if path.suffix.lower() != ".safetensors":
        return False
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            return any(k.startswith("conditioner.embedders.1.") for k in f.keys())
    except Exception:  # noqa: BLE001 - from_single_file will report the real problem
        return False


def _single_file_config(path: Path) -> str | None:
    """The hub repo whose config diffusers wants for this checkpoint (None if it cannot tell)."""
    try:
        from diffusers.loaders.single_file_utils import fetch_diffusers_config, load_single_file_checkpoint

        with _quiet_diffusers():
            ckpt = load_single_file_checkpoint(str(path), local_files_only=True)
            return fetch_diffusers_config(ckpt).get("pretrained_model_name_or_path")
    except Exception:  # noqa: BLE001
        return None


def _resolve_lora(lora: str | Path) -> Path:
    path = Path(lora).expanduser()
    if not path.exists():
        raise ModelError(f"{path}: --lora: expected a LoRA weights file ({', '.join(LORA_SUFFIXES)}) or a folder holding one; not found")
    if path.is_dir():
        default = path / "pytorch_lora_weights.safetensors"
        found = [default] if default.is_file() else sorted(p for p in path.iterdir() if p.is_file() and p.suffix in LORA_SUFFIXES)
        if len(found) != 1:
            what = "none" if not found else f"{len(found)} ({', '.join(p.name for p in found[:4])})"
            raise ModelError(
                f"{path}: --lora: expected a folder with exactly one LoRA weights file "
                f"({', '.join(LORA_SUFFIXES)}); found {what}; pass the file itself"
            )
        path = found[0]
    elif path.suffix not in LORA_SUFFIXES:
        raise ModelError(f"{path}: --lora: expected a LoRA weights file ({', '.join(LORA_SUFFIXES)}); got '{path.suffix or 'no extension'}'")
    try:
        import peft  # noqa: F401
    except ImportError:
        raise ModelError(f"{path}: --lora: loading LoRA weights needs the peft package, which is not installed; pip install peft") from None
    return path.resolve()


def _resolve_device(torch, name: str | None):
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            # under torchrun / accelerate launch every process sees all GPUs: take ours
            rank = os.environ.get("LOCAL_RANK")
            if rank is not None and rank.isdigit() and int(os.environ.get("WORLD_SIZE", "1") or 1) > 1:
                return torch.device("cuda", int(rank) % torch.cuda.device_count())
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise ModelError(f"--device: expected auto, cpu, cuda, cuda:<index> or mps; got '{name}'") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ModelError(f"--device {name}: CUDA is not available on this machine; use --device cpu (or auto)")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ModelError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s) (0..{torch.cuda.device_count() - 1})")
    elif device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ModelError(f"--device {name}: MPS is not available on this machine; use --device cpu (or auto)")
    elif device.type != "cpu":
        raise ModelError(f"--device: expected auto, cpu, cuda, cuda:<index> or mps; got '{name}'")
    return device
