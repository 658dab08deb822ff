"""``diffusers:<hub id | local folder | .safetensors file>``: a diffusers text-to-image pipeline.

Sources
-------
* a local folder with ``model_index.json`` (``save_pretrained`` output, or a
  folder from ``hf download``): loaded with ``local_files_only=True``;
* a Hugging Face hub id ``org/name`` (optionally ``org/name@revision``): loaded
  from the local cache; downloaded only when the hub is reachable and
  ``HF_HUB_OFFLINE`` is not set.  An id that is not cached while offline is one
  error line that says how to fetch it;
* a single-file checkpoint (``.safetensors`` / ``.ckpt``): Stable Diffusion
  1.x/2.x (or SDXL, recognised by its second text encoder) through
  ``from_single_file``, which needs the matching diffusers config from the
  hub cache.

Options (``realgap run`` flags): ``--steps`` (30), ``--guidance`` (7.5),
``--batch-size`` (4), ``--device`` (auto: cuda, mps, cpu), ``--dtype``
(float16 on cuda, else float32), ``--lora PATH`` and ``--lora-scale`` (1.0;
the LoRA is fused into the weights at that scale, needs ``peft``).  The
keyword ``progress=False`` hides the libraries' loading bars (the per-step
sampling bar is always off: the runner has its own).

Determinism
-----------
Each image gets its own ``torch.Generator`` seeded with :func:`seed_hash` of
(scene id, seed), so its starting noise does not depend on its batch
neighbours.  On the CPU the pipeline is called one image at a time (CPU matrix
kernels round differently for different batch shapes), so with the same torch
build and thread count a repeated run gives identical PNG bytes and
``--batch-size`` does not change the images.  On a GPU or MPS ``--batch-size``
images share a call; kernels chosen per batch shape may move the last bits of
a pixel.  Neither the batch size (a speed knob) nor the device is part of
:meth:`DiffusersGenerator.settings`; each image's ``.json`` records the device.

Resolving and checking sources, LoRA files and devices is
:mod:`bench.generators.diffusers_load`; this module is the generator itself.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import inspect
import json
import math
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from bench.generators.base import Generated, Generator, ModelError
from bench.generators.diffusers_load import (
    ADAPTER,
    CALL_ARGS,
    LORA_LOGGERS,
    LORA_NOISE,
    _check_pipeline_folder,
    _drop_log_records,
    _dtype_keyword,
    _first_line,
    _from_pretrained,
    _hub_offline,
    _is_oom,
    _is_sdxl_checkpoint,
    _no_loading_bars,
    _quiet_diffusers,
    _resolve_device,
    _resolve_lora,
    _resolve_source,
    _single_file_config,
    _text2image_class,
    _unsupported_text,
    file_sha256,
)

DEFAULT_STEPS = 30
DEFAULT_GUIDANCE = 7.5
DEFAULT_BATCH_SIZE = 4
DEFAULT_LORA_SCALE = 1.0
DTYPES = ("float32", "float16", "bfloat16")


def seed_hash(scene_id: str, seed: int) -> int:
    """The torch seed of one image: stable across runs, machines and batch layouts.

    ``int(sha256("<scene id>\\n<seed>")) mod 2**63``.
    """
    digest = hashlib.sha256(f"{scene_id}\n{int(seed)}".encode()).digest()
    return int.from_bytes(digest[:16], "big") % 2**63


class DiffusersGenerator(Generator):
    """A diffusers text-to-image pipeline as a realgap generator (see the module docstring)."""

    def __init__(
        self,
        source: str,
        *,
        steps: int | None = None,
        guidance: float | None = None,
        batch_size: int | None = None,
        device: str | None = None,
        dtype: str | None = None,
        lora: str | Path | None = None,
        lora_scale: float | None = None,
        progress: bool = True,
    ):
        source = (source or "").strip()
        if not source:
            raise ModelError("--model: diffusers:<hub id|folder|.safetensors>: expected a model after 'diffusers:'; got nothing")
        self.model = f"diffusers:{source}"
        self.steps = int(DEFAULT_STEPS if steps is None else steps)
        self.guidance = float(DEFAULT_GUIDANCE if guidance is None else guidance)
        self.batch_size = int(DEFAULT_BATCH_SIZE if batch_size is None else batch_size)
        if self.steps < 1:
            raise ModelError(f"--steps: expected a whole number >= 1; got {self.steps}")
        if not math.isfinite(self.guidance) or self.guidance < 0:
            raise ModelError(f"--guidance: expected a finite number >= 0; got {self.guidance}")
        if self.batch_size < 1:
            raise ModelError(f"--batch-size: expected a whole number >= 1; got {self.batch_size}")
        if lora is None and lora_scale is not None:
            raise ModelError("--lora-scale: applies only with --lora PATH; no --lora was given")
        self.lora_scale = float(DEFAULT_LORA_SCALE if lora_scale is None else lora_scale)
        if not math.isfinite(self.lora_scale):
            raise ModelError(f"--lora-scale: expected a finite number; got {self.lora_scale}")

        # cheap checks first: nothing heavy is imported before the inputs are known to be usable
        self.kind, self.location, self.revision = _resolve_source(source)
        if self.kind == "folder":
            _check_pipeline_folder(self.location)
        elif self.kind == "hub":
            self._check_cached(_hub_offline())
        self.lora_file = _resolve_lora(lora) if lora is not None else None
        self.lora_sha256 = file_sha256(self.lora_file) if self.lora_file else None

        import torch

        self.device = _resolve_device(torch, device)
        if dtype is not None and dtype not in DTYPES:
            raise ModelError(f"--dtype: expected one of {', '.join(DTYPES)}; got '{dtype}'")
        self.dtype_name = dtype or ("float16" if self.device.type == "cuda" else "float32")
        self.dtype = getattr(torch, self.dtype_name)

        with contextlib.nullcontext() if progress else _no_loading_bars():
            self.pipe = self._load()
        self._check_callable()
        self.pipe.set_progress_bar_config(disable=True)
        try:
            self.pipe.to(self.device)
        except Exception as exc:  # noqa: BLE001 - reported as one line
            if _is_oom(exc):
                raise ModelError(self._oom_text("moving the model to", exc)) from None
            raise ModelError(f"{self.location}: could not move the pipeline to {self.device}: {_first_line(exc)}") from None
        if self.lora_file is not None:
            self._apply_lora()
        params = inspect.signature(self.pipe.__call__).parameters
        self._takes_negative = "negative_prompt" in params
        self._takes_guidance = "guidance_scale" in params
        self.scheduler_name = type(getattr(self.pipe, "scheduler", None)).__name__
        self.size_multiple = max(8, int(getattr(self.pipe, "vae_scale_factor", 8) or 8))

    # ------------------------------------------------------------------ loading
    def _load(self):
        import diffusers

        kw = {_dtype_keyword(diffusers): self.dtype}
        try:
            if self.kind == "folder":
                self._precheck_class(self.location / "model_index.json")
                return _from_pretrained(diffusers, str(self.location), dict(kw, local_files_only=True))
            if self.kind == "hub":
                offline = _hub_offline()
                self._precheck_class(self._cached_index())
                if self.revision:
                    kw["revision"] = self.revision
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message=".*local_dir_use_symlinks.*")
                    pipe = _from_pretrained(diffusers, self.location, dict(kw, local_files_only=offline))
                self.revision = self._cached_commit() or self.revision
                return pipe
            return self._load_single_file(diffusers, kw)
        except ModelError:
            raise
        except Exception as exc:  # noqa: BLE001 - every loading failure becomes one line
            if _is_oom(exc):
                raise ModelError(self._oom_text("loading", exc)) from None
            if self.kind == "hub" and isinstance(exc, OSError):
                raise ModelError(self._not_cached_text(f"could not load it ({_first_line(exc)})")) from None
            raise ModelError(f"{self.location}: could not load the diffusers pipeline: {_first_line(exc)}") from None

    def _check_cached(self, offline: bool) -> None:
        if offline and self._cached_commit() is None:
            raise ModelError(self._not_cached_text("it is not in the local Hugging Face cache and HF_HUB_OFFLINE is set"))

    def _cached_index(self) -> Path | None:
        from huggingface_hub import try_to_load_from_cache

        hit = try_to_load_from_cache(self.location, "model_index.json", revision=self.revision)
        return Path(hit) if isinstance(hit, str) else None

    def _cached_commit(self) -> str | None:
        index = self._cached_index()
        return index.parent.name if index is not None else None

    def _precheck_class(self, index: Path | None) -> None:
        """Refuse a pipeline that cannot make images from text before loading its weights."""
        if index is None:
            return
        try:
            name = json.loads(index.read_text()).get("_class_name")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            return  # from_pretrained reports it
        cls = _text2image_class(name) if isinstance(name, str) else None
        if cls is not None:
            params = inspect.signature(cls.__call__).parameters
            missing = [a for a in CALL_ARGS if a not in params]
            if missing:
                raise ModelError(_unsupported_text(self.location, name, missing))

    def _not_cached_text(self, why: str) -> str:
        rev = f" --revision {self.revision}" if self.revision else ""
        return (
            f"{self.location}: --model diffusers:<hub id>: {why}; on a machine with network run "
            f"`hf download {self.location}{rev}` (with the same HF_HOME) and copy the cache here, "
            f"or pass the downloaded folder: --model diffusers:/path/to/folder"
        )

    def _load_single_file(self, diffusers, kw):
        path = self.location
        cls = diffusers.StableDiffusionXLPipeline if _is_sdxl_checkpoint(path) else diffusers.StableDiffusionPipeline
        offline = _hub_offline()
        try:
            with _quiet_diffusers():
                return cls.from_single_file(str(path), local_files_only=offline, **kw)
        except Exception as exc:  # noqa: BLE001
            if _is_oom(exc):
                raise
            config = _single_file_config(path) if isinstance(exc, OSError) else None
            if config is None:
                raise ModelError(f"{path}: --model diffusers:<file>: {cls.__name__}.from_single_file could not load it: {_first_line(exc)}") from None
            why = "HF_HUB_OFFLINE is set" if offline else _first_line(exc)
            raise ModelError(
                f"{path}: --model diffusers:<file>: a single-file checkpoint needs the diffusers config of {config}, "
                f"which is not in the local Hugging Face cache ({why}); on a machine with network run "
                f"`hf download {config} --include '*.json' '*.txt'` (with the same HF_HOME) and copy the cache here, "
                f"or convert the checkpoint to a diffusers folder and pass that folder"
            ) from None

    def _check_callable(self) -> None:
        params = inspect.signature(self.pipe.__call__).parameters
        missing = [a for a in CALL_ARGS if a not in params]
        if missing:
            raise ModelError(_unsupported_text(self.location, type(self.pipe).__name__, missing))

    def _apply_lora(self) -> None:
        pipe, path = self.pipe, self.lora_file
        if not hasattr(pipe, "load_lora_weights"):
            raise ModelError(f"{path}: --lora: {type(pipe).__name__} cannot load LoRA weights")
        try:
            with warnings.catch_warnings(), _drop_log_records(LORA_NOISE, LORA_LOGGERS):
                warnings.simplefilter("ignore")
                pipe.load_lora_weights(str(path.parent), weight_name=path.name, adapter_name=ADAPTER)
        except Exception as exc:  # noqa: BLE001
            raise ModelError(f"{path}: --lora: could not load the LoRA into {type(pipe).__name__}: {_first_line(exc)}") from None
        adapters = {c: names for c, names in pipe.get_list_adapters().items() if ADAPTER in names}
        if not adapters:
            raise ModelError(
                f"{path}: --lora: none of its weights match a module of {type(pipe).__name__}; "
                f"expected a LoRA trained for this base model"
            )
        pipe.fuse_lora(lora_scale=self.lora_scale, adapter_names=[ADAPTER])
        self.lora_components = sorted(adapters)

    def _oom_text(self, what: str, exc: BaseException) -> str:
        return (
            f"{self.location}: out of memory {what} {self.device} ({self.dtype_name}, batch {self.batch_size}); "
            f"try --batch-size 1, --dtype float16 (on a GPU) or a smaller --size ({_first_line(exc)})"
        )

    # ------------------------------------------------------------------ Generator API
    def settings(self) -> dict[str, Any]:
        """Everything that changes the images (not the device or batch size; see the module docstring)."""
        out: dict[str, Any] = {
            "source": self.kind,
            "model": self.location if self.kind == "hub" else str(self.location),
            "pipeline": type(self.pipe).__name__ if getattr(self, "pipe", None) is not None else None,
            "scheduler": self.scheduler_name,
            "steps": self.steps,
            "guidance": self.guidance,
            "dtype": self.dtype_name,
        }
        if self.revision:
            out["revision"] = self.revision
        if self.lora_file is not None:
            out.update(lora=str(self.lora_file), lora_sha256=self.lora_sha256, lora_scale=self.lora_scale)
        return out

    def check_size(self, size: int) -> None:
        """Raise :class:`ModelError` unless ``size`` suits the pipeline (a multiple of 8, or of the VAE's factor)."""
        m = self.size_multiple
        if size % m:
            lo, hi = size - size % m, size - size % m + m
            near = f"{lo} or {hi}" if lo > 0 else f"{hi}"
            raise ModelError(f"--size: diffusers pipelines need a multiple of {m} pixels; got {size} (use {near})")

    def generate(self, jobs: Sequence[tuple[Any, int]], size: int) -> list[Generated]:
        self.check_size(size)
        out: list[Generated | None] = [None] * len(jobs)
        # Pipelines may treat "no negative prompt" differently from "" (SDXL uses zero embeddings),
        # so jobs with and without one never share a call: an image never depends on its neighbours.
        groups: dict[bool, list[int]] = {}
        for i, (scene, _) in enumerate(jobs):
            groups.setdefault(bool(self._takes_negative and scene.negative_prompt), []).append(i)
        per_call = self.images_per_call
        for with_negative, idx in groups.items():
            for start in range(0, len(idx), per_call):
                part = idx[start : start + per_call]
                for i, gen in zip(part, self._call([jobs[i] for i in part], size, with_negative)):
                    out[i] = gen
        return out  # type: ignore[return-value]

    @property
    def images_per_call(self) -> int:
        """Images per pipeline call: ``batch_size`` on accelerators, 1 on the CPU.

        CPU matrix kernels round differently for different row counts (a
        ``Linear`` on 2 rows and on 8 rows differ in the last bit), so a batched
        CPU call would make an image depend on its batch neighbours.  One image
        per call keeps CPU images bit-identical whatever ``--batch-size`` is.
        """
        return 1 if self.device.type == "cpu" else self.batch_size

    def _call(self, jobs, size: int, with_negative: bool) -> list[Generated]:
        import torch

        noise_device = "cpu" if self.device.type == "mps" else self.device
        hashes = [seed_hash(scene.id, seed) for scene, seed in jobs]
        kwargs: dict[str, Any] = {
            "prompt": [scene.prompt for scene, _ in jobs],
            "height": size,
            "width": size,
            "num_inference_steps": self.steps,
            "generator": [torch.Generator(device=noise_device).manual_seed(h) for h in hashes],
            "output_type": "np",
        }
        if self._takes_guidance:
            kwargs["guidance_scale"] = self.guidance
        if with_negative:
            kwargs["negative_prompt"] = [scene.negative_prompt for scene, _ in jobs]
        try:
            with torch.inference_mode():
                result = self.pipe(**kwargs)
        except Exception as exc:  # noqa: BLE001
            if _is_oom(exc):
                self._empty_cache()
                raise ModelError(self._oom_text(f"generating {len(jobs)} images of {size} px on", exc)) from None
            raise
        images = _to_uint8(result.images)
        flags = getattr(result, "nsfw_content_detected", None)
        out = []
        for k, ((scene, seed), h) in enumerate(zip(jobs, hashes)):
            meta: dict[str, Any] = {
                "prompt": scene.prompt,
                "negative_prompt": scene.negative_prompt if with_negative else None,
                "seed_hash": h,
                "steps": self.steps,
                "guidance": self.guidance if self._takes_guidance else None,
                "size": size,
                "dtype": self.dtype_name,
                "device": str(self.device),
                "scheduler": self.scheduler_name,
            }
            if scene.negative_prompt and not self._takes_negative:
                meta["negative_prompt_ignored"] = True
            if flags is not None:
                meta["nsfw_flagged"] = bool(flags[k])
            out.append(Generated(image=images[k], meta=meta))
        return out

    def _empty_cache(self) -> None:
        import torch

        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def close(self) -> None:
        pipe = getattr(self, "pipe", None)
        if pipe is None:
            return
        self.pipe = None
        del pipe
        if self.device.type == "cuda":
            self._empty_cache()
        else:
            gc.collect()


def _to_uint8(images) -> list[np.ndarray]:
    """Pipeline output (float arrays in [0, 1], tensors or PIL images) -> uint8 H x W x 3 RGB arrays."""
    out = []
    for im in images:
        if hasattr(im, "convert") and not isinstance(im, np.ndarray):  # PIL
            out.append(np.asarray(im.convert("RGB"), dtype=np.uint8).copy())
            continue
        if hasattr(im, "detach"):
            im = im.detach().float().cpu().numpy()
        a = np.asarray(im)
        if a.dtype != np.uint8:
            a = (np.clip(a.astype(np.float64), 0.0, 1.0) * 255.0).round().astype(np.uint8)
        if a.ndim == 2:
            a = np.repeat(a[:, :, None], 3, axis=2)
        elif a.shape[-1] == 4:
            a = a[:, :, :3]
        elif a.shape[-1] == 1:
            a = np.repeat(a, 3, axis=2)
        out.append(np.ascontiguousarray(a))
    return out
