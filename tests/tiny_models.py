"""Tiny random-weight models for tests (diffusers style: built from config, seeded).

Nothing here downloads anything.  The tokenizer is real: CLIP's byte-pair
vocabulary is rebuilt from the BPE file that ships inside ``open_clip``
(``open_clip/bpe_simple_vocab_16e6.txt.gz``), so prompts become real token ids
rather than a row of unknown tokens.

Trap (transformers 5): ``CLIPTokenizer(vocab_file=..., merges_file=...)`` ignores
both files and yields a 2-token vocabulary; we pass ``vocab=`` and ``merges=``.

Use :func:`build_tiny_sd_pipeline` once per test session (it takes a few
seconds) and :func:`build_tiny_lora` for a LoRA that fits the tiny UNet.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

CONTEXT_LENGTH = 77
TEXT_HIDDEN = 32
LORA_TARGETS = ("to_q", "to_k", "to_v", "to_out.0")


def _bytes_to_unicode() -> dict[int, str]:
    """CLIP's reversible byte -> printable unicode map (as in open_clip and OpenAI CLIP)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


@lru_cache(maxsize=1)
def clip_vocab_and_merges() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """CLIP's 49,408-token vocabulary and its merges, from open_clip's bundled BPE file.

    Reproduces ``open_clip.tokenizer.SimpleTokenizer``: the 256 byte symbols, the
    same with ``</w>``, one token per merge, then the two special tokens (named
    as in OpenAI CLIP and transformers: ``<|startoftext|>``, ``<|endoftext|>``).
    """
    import importlib.util

    spec = importlib.util.find_spec("open_clip")  # locate the file without importing open_clip (slow)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("tiny_models needs the open_clip package for CLIP's BPE vocabulary (pip install open_clip_torch)")
    bpe = Path(list(spec.submodule_search_locations)[0]) / "bpe_simple_vocab_16e6.txt.gz"
    lines = gzip.open(bpe).read().decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1 : 49152 - 256 - 2 + 1]]
    symbols = list(_bytes_to_unicode().values())
    tokens = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    return {t: i for i, t in enumerate(tokens)}, merges


def build_clip_tokenizer():
    """A transformers ``CLIPTokenizer`` with CLIP's real vocabulary (no files, no hub)."""
    from transformers import CLIPTokenizer

    vocab, merges = clip_vocab_and_merges()
    tok = CLIPTokenizer(vocab=dict(vocab), merges=list(merges), model_max_length=CONTEXT_LENGTH)
    ids = tok("a baseball flies through a window pane").input_ids
    assert len(ids) > 2 and len(tok) == len(vocab), (
        f"tokenizer is broken: {len(ids)} ids for a 7-word prompt, vocabulary of {len(tok)} (expected {len(vocab)})"
    )
    return tok


def tiny_sd_components(seed: int = 0) -> dict:
    """The parts of a tiny Stable-Diffusion pipeline, weights drawn after ``torch.manual_seed(seed)``."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    tokenizer = build_clip_tokenizer()
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=TEXT_HIDDEN,
        norm_num_groups=32,
    )
    torch.manual_seed(seed)
    vae = AutoencoderKL(
        block_out_channels=(32, 64),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=32,
        sample_size=64,
    )
    torch.manual_seed(seed)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
            hidden_size=TEXT_HIDDEN,
            intermediate_size=37,
            layer_norm_eps=1e-5,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=len(tokenizer),
            max_position_embeddings=CONTEXT_LENGTH,
        )
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    return {
        "unet": unet,
        "vae": vae,
        "text_encoder": text_encoder,
        "tokenizer": tokenizer,
        "scheduler": scheduler,
        "safety_checker": None,
        "feature_extractor": None,
        "image_encoder": None,
    }


def build_tiny_sd_pipeline(folder: Path, seed: int = 0) -> Path:
    """Save a tiny random ``StableDiffusionPipeline`` to ``folder`` and return it.

    UNet (32, 64) channels, one layer per block, cross-attention width 32; a
    2-block VAE (scale factor 2); a 2-layer CLIP text model of width 32 with
    CLIP's real tokenizer; DDIM; no safety checker.  About 2 M parameters, most
    of them the 49,408 x 32 token embedding.
    """
    from diffusers import StableDiffusionPipeline

    folder = Path(folder)
    pipe = StableDiffusionPipeline(**tiny_sd_components(seed), requires_safety_checker=False)
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


def build_tiny_lora(pipeline_folder: Path, path: Path, *, rank: int = 4, seed: int = 1, strength: float = 0.5) -> Path:
    """Write a LoRA for the tiny UNet's attention projections as one ``.safetensors`` file.

    Keys follow diffusers' PEFT format (``unet.<module>.lora_A.weight`` [r, in],
    ``unet.<module>.lora_B.weight`` [out, r]); both factors are random (seeded),
    so unlike a freshly initialised LoRA (B = 0) it changes the images.
    Built without peft; loading it with ``load_lora_weights`` needs peft.
    """
    import torch
    from safetensors.torch import save_file

    cfg_unet = _load_unet(pipeline_folder)
    g = torch.Generator().manual_seed(seed)
    tensors = {}
    for name, module in sorted(cfg_unet.named_modules()):
        if not isinstance(module, torch.nn.Linear) or not any(name.endswith("." + t) for t in LORA_TARGETS):
            continue
        if ".attn" not in name:
            continue
        a = torch.randn(rank, module.in_features, generator=g) / module.in_features**0.5
        b = torch.randn(module.out_features, rank, generator=g) * strength / rank**0.5
        tensors[f"unet.{name}.lora_A.weight"] = a.contiguous()
        tensors[f"unet.{name}.lora_B.weight"] = b.contiguous()
    assert tensors, "the tiny UNet has no attention projections to adapt"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path))
    return path


def _load_unet(pipeline_folder: Path):
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel.from_pretrained(Path(pipeline_folder) / "unet", local_files_only=True)


TINY_CLIP_CFG = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2},
}
"""A tiny open_clip architecture (random weights) with CLIP's real tokenizer vocabulary size."""


def save_tiny_clip(arch: str, cfg_dir: Path, path: Path, *, seed: int = 0) -> dict:
    """Register :data:`TINY_CLIP_CFG` with open_clip under the name ``arch`` (config
    written to ``cfg_dir``), build it with seeded random weights and save them as
    safetensors at ``path``.  Returns the saved state dict."""
    import json

    import open_clip
    import torch
    from safetensors.torch import save_file

    (Path(cfg_dir) / f"{arch}.json").write_text(json.dumps(TINY_CLIP_CFG))
    open_clip.add_model_config(cfg_dir)
    torch.manual_seed(seed)
    model = open_clip.create_model(arch, pretrained=None)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(path))
    return state
