"""The ``diffusers:`` generator, end to end on a tiny random pipeline (CPU, offline).

The pipeline is built once per session by :func:`tiny_models.build_tiny_sd_pipeline`
(random weights, CLIP's real tokenizer); nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tiny_models import build_tiny_lora, build_tiny_sd_pipeline  # noqa: E402

SCENES = "fracture/window-pane-ball,fluid/milk-drop-crown"
HAS_PEFT = importlib.util.find_spec("peft") is not None


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def torch_threads():
    import torch

    # one thread: on a shared 2-core machine, 2 OpenMP threads competing with other jobs run 10x slower
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_pipeline(tmp_path_factory, torch_threads) -> Path:
    return build_tiny_sd_pipeline(tmp_path_factory.mktemp("tiny-sd") / "pipe")


def _run(out: Path, model: str, *extra: str) -> int:
    from bench.cli import main

    return main(
        ["run", "--model", model, "--out", str(out), "--scenes", SCENES, "--seeds", "2",
         "--size", "64", "--steps", "2", "--no-progress", *extra]
    )


def _pngs(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted((run / "images").rglob("*.png"))}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, tiny_pipeline) -> Path:
    out = tmp_path_factory.mktemp("run-a")
    assert _run(out, f"diffusers:{tiny_pipeline}") == 0
    return out


def _err_lines(capfd) -> list[str]:
    return [line for line in capfd.readouterr().err.splitlines() if line.strip()]


# --------------------------------------------------------------------------- tokenizer
def test_tokenizer_really_tokenizes(tiny_pipeline):
    """The saved tokenizer gives CLIP's ids (as open_clip's bundled tokenizer does), not unknowns."""
    import open_clip
    from transformers import CLIPTokenizer

    from bench.spec import select_scenes

    prompt = select_scenes("fracture/window-pane-ball")[0].prompt
    tok = CLIPTokenizer.from_pretrained(tiny_pipeline / "tokenizer", local_files_only=True)
    ids = tok(prompt, truncation=True, max_length=77).input_ids
    assert len(ids) > 10
    inner = ids[1:-1]
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id
    assert tok.unk_token_id not in inner and len(set(inner)) > 8
    reference = open_clip.get_tokenizer("ViT-B-32")([prompt])[0].tolist()
    assert ids == reference[: len(ids)]


# --------------------------------------------------------------------------- end to end
def test_cli_run_is_reproducible(first_run, tiny_pipeline, tmp_path):
    import pandas as pd

    from bench.generators.diffusers_gen import seed_hash

    df = pd.read_csv(first_run / "scores.csv", keep_default_na=False)
    assert len(df) == 4 and (df["status"] == "ok").all()
    assert sorted(set(df["scene_id"])) == sorted(SCENES.split(","))
    settings = json.loads((first_run / "run.json").read_text())["settings"]
    assert settings["steps"] == 2 and settings["size"] == 64 and settings["guidance"] == 7.5
    assert settings["model"] == str(tiny_pipeline.resolve())
    assert settings["dtype"] == "float32" and settings["scheduler"] == "DDIMScheduler"
    assert "batch_size" not in settings and "device" not in settings

    meta = json.loads((first_run / "images/fluid/milk-drop-crown/1.json").read_text())
    assert meta["seed_hash"] == seed_hash("fluid/milk-drop-crown", 1)
    assert meta["prompt"].startswith("high-speed") and meta["steps"] == 2 and meta["device"] == "cpu"

    pngs = _pngs(first_run)
    assert len(pngs) == 4 and len(set(pngs.values())) == 4  # every (scene, seed) its own image
    again = tmp_path / "run-b"
    assert _run(again, f"diffusers:{tiny_pipeline}") == 0
    assert _pngs(again) == pngs
    assert (again / "scores.csv").read_bytes() == (first_run / "scores.csv").read_bytes()


def test_batch_size_does_not_change_images(first_run, tiny_pipeline, tmp_path):
    out = tmp_path / "run-b1"
    assert _run(out, f"diffusers:{tiny_pipeline}", "--batch-size", "1") == 0
    assert _pngs(out) == _pngs(first_run)  # first_run used the default batch size, 4
    assert json.loads((out / "run.json").read_text())["settings"] == json.loads((first_run / "run.json").read_text())["settings"]


def test_seed_hash_is_stable():
    from bench.generators.diffusers_gen import seed_hash

    # golden value: sha256("fluid/milk-drop-crown\n0"), first 16 bytes big-endian, mod 2**63
    assert seed_hash("fluid/milk-drop-crown", 0) == 1414443893008915229
    assert seed_hash("fluid/milk-drop-crown", 1) != seed_hash("fluid/milk-drop-crown", 0)
    assert 0 <= seed_hash("impact/egg-drop-floor", 3) < 2**63


# --------------------------------------------------------------------------- LoRA
@pytest.mark.skipif(not HAS_PEFT, reason="peft is not installed (diffusers needs it to load LoRA weights)")
def test_lora_changes_images_and_scale_zero_does_not(tiny_pipeline, tmp_path):
    from bench.generators.diffusers_gen import DiffusersGenerator
    from bench.spec import select_scenes

    lora = build_tiny_lora(tiny_pipeline, tmp_path / "lora" / "tiny.safetensors")
    jobs = [(select_scenes("fluid/milk-drop-crown")[0], 0)]

    def image(**kw):
        gen = DiffusersGenerator(str(tiny_pipeline), steps=2, **kw)
        try:
            return gen.generate(jobs, 64)[0].image, gen.settings()
        finally:
            gen.close()

    base, _ = image()
    with_lora, settings = image(lora=lora)
    off, _ = image(lora=lora.parent, lora_scale=0.0)  # a folder holding one file works too
    assert np.abs(with_lora.astype(int) - base.astype(int)).max() > 10
    assert np.array_equal(off, base)
    assert settings["lora"] == str(lora.resolve()) and settings["lora_scale"] == 1.0
    assert settings["lora_sha256"] == hashlib.sha256(lora.read_bytes()).hexdigest()

    # a LoRA for some other model is refused in one line, not silently ignored
    import torch
    from safetensors.torch import save_file

    from bench.generators import ModelError

    other = tmp_path / "other.safetensors"
    save_file({"unet.no.such.module.lora_A.weight": torch.zeros(4, 32),
               "unet.no.such.module.lora_B.weight": torch.zeros(32, 4)}, str(other))
    with pytest.raises(ModelError, match="--lora") as err:
        DiffusersGenerator(str(tiny_pipeline), steps=2, lora=other)
    assert str(other) in str(err.value) and "\n" not in str(err.value)


def test_missing_lora_is_one_line(tiny_pipeline, tmp_path, capfd):
    missing = tmp_path / "nope" / "style.safetensors"
    assert _run(tmp_path / "out", f"diffusers:{tiny_pipeline}", "--lora", str(missing)) == 2
    lines = _err_lines(capfd)
    assert len(lines) == 1 and str(missing) in lines[0] and "--lora" in lines[0]
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- errors
def _run_offline_empty_cache(tmp_path: Path, model: str) -> tuple[int, list[str], Path]:
    """``realgap run`` in a fresh process (HF_HOME is read at import) with an empty cache, offline."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE")}
    env.update(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf-home"), OMP_NUM_THREADS="1")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.cli", "run", "--model", model,
         "--out", str(out), "--scenes", "fluid/milk-drop-crown", "--seeds", "1", "--no-progress"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    return proc.returncode, [line for line in proc.stderr.splitlines() if line.strip()], out


def test_uncached_hub_id_is_one_line(tmp_path):
    rc, lines, out = _run_offline_empty_cache(tmp_path, "diffusers:some-org/not-cached-model")
    assert rc == 2 and len(lines) == 1, lines
    assert "some-org/not-cached-model" in lines[0] and "hf download some-org/not-cached-model" in lines[0]
    assert not out.exists()


def test_single_file_without_cached_config_is_one_line(tmp_path):
    """An SD 1.x-style single file needs its diffusers config from the cache; offline and uncached: one line."""
    import torch
    from safetensors.torch import save_file

    ckpt = tmp_path / "sd15-style.safetensors"
    save_file({"model.diffusion_model.input_blocks.0.0.weight": torch.zeros(320, 4, 3, 3)}, str(ckpt))
    rc, lines, out = _run_offline_empty_cache(tmp_path, f"diffusers:{ckpt}")
    assert rc == 2 and len(lines) == 1, lines
    assert str(ckpt) in lines[0] and "hf download stable-diffusion-v1-5/stable-diffusion-v1-5" in lines[0]
    assert not out.exists()


def test_folder_without_model_index_is_one_line(tmp_path, capfd):
    folder = tmp_path / "not-a-pipeline"
    (folder / "unet").mkdir(parents=True)
    assert _run(tmp_path / "out", f"diffusers:{folder}") == 2
    lines = _err_lines(capfd)
    assert len(lines) == 1 and str(folder) in lines[0] and "model_index.json" in lines[0]


def test_missing_path_is_one_line(tmp_path, capfd):
    path = tmp_path / "model.safetensors"
    assert _run(tmp_path / "out", f"diffusers:{path}") == 2
    lines = _err_lines(capfd)
    assert len(lines) == 1 and str(path) in lines[0]


def test_unsupported_pipeline_is_one_line(tmp_path, capfd, torch_threads):
    """An unconditional pipeline (no prompt) is refused by name."""
    import torch
    from diffusers import DDPMPipeline, DDPMScheduler, UNet2DModel

    torch.manual_seed(0)
    unet = UNet2DModel(sample_size=8, block_out_channels=(32, 32), layers_per_block=1,
                       down_block_types=("DownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "UpBlock2D"))
    folder = tmp_path / "ddpm"
    DDPMPipeline(unet=unet, scheduler=DDPMScheduler()).save_pretrained(folder)
    capfd.readouterr()
    assert _run(tmp_path / "out", f"diffusers:{folder}") == 2
    lines = _err_lines(capfd)
    assert len(lines) == 1 and "DDPMPipeline" in lines[0] and "unsupported pipeline" in lines[0]


def test_size_must_suit_the_pipeline(tiny_pipeline, tmp_path, capfd):
    from bench.cli import main

    rc = main(["run", "--model", f"diffusers:{tiny_pipeline}", "--out", str(tmp_path / "out"),
               "--scenes", "fluid/milk-drop-crown", "--seeds", "1", "--size", "60", "--steps", "1", "--no-progress"])
    assert rc == 2
    lines = [line for line in _err_lines(capfd) if "--size" in line]
    assert len(lines) == 1 and "multiple of 8" in lines[0] and "56 or 64" in lines[0]


def test_quiet_loading_nsfw_oom_and_close(tiny_pipeline, capfd):
    from types import SimpleNamespace

    from bench.generators import ModelError
    from bench.generators.diffusers_gen import DiffusersGenerator
    from bench.spec import select_scenes

    capfd.readouterr()
    gen = DiffusersGenerator(str(tiny_pipeline), steps=1, progress=False)
    assert gen.images_per_call == 1 and gen.settings()["steps"] == 1
    jobs = [(select_scenes("fluid/milk-drop-crown")[0], 0)]

    # a safety checker that blanked the image: the black image comes back, flagged
    gen.pipe = lambda **kw: SimpleNamespace(images=np.zeros((1, 64, 64, 3), np.float32), nsfw_content_detected=[True])
    got = gen.generate(jobs, 64)[0]
    assert got.meta["nsfw_flagged"] is True and got.image.dtype == np.uint8 and got.image.shape == (64, 64, 3)
    assert not got.image.any()

    def oom(**kw):
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

    gen.pipe = oom
    with pytest.raises(ModelError, match="out of memory.*--batch-size 1.*--dtype float16") as err:
        gen.generate(jobs, 64)
    assert "\n" not in str(err.value)
    gen.close()
    gen.close()  # twice is fine
    assert gen.pipe is None
    assert _err_lines(capfd) == []


def test_options_are_checked_before_loading(tiny_pipeline):
    from bench.generators import ModelError
    from bench.generators.diffusers_gen import DiffusersGenerator

    with pytest.raises(ModelError, match="--lora-scale"):
        DiffusersGenerator(str(tiny_pipeline), lora_scale=0.5)
    with pytest.raises(ModelError, match="--device"):
        DiffusersGenerator(str(tiny_pipeline), device="tpu")
    with pytest.raises(ModelError, match="not a hub id"):
        DiffusersGenerator("not a/valid/id")
