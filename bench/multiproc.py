"""``realgap run --processes N``: split a run's (scene, seed) jobs over N processes.

Each worker is ``realgap run ... --shard I/N`` on the same run folder; it
handles jobs I, I+N, I+2N, ... and writes per-image files atomically, so the
workers never write the same file.  The parent then builds scores.csv,
summary.json and report.html from the per-image cache, exactly as a
one-process run does, so the files are identical.  With CUDA and at least N
GPUs, worker I sees only GPU I.  Under ``accelerate launch`` or ``torchrun``
no parent is needed: each process takes its shard from RANK / WORLD_SIZE.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def _strip_processes(argv: list[str]) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "--processes":
            skip = True
            continue
        if a.startswith("--processes="):
            continue
        out.append(a)
    return out


def _gpu_count(args) -> int:
    if not args.model.startswith("diffusers:") or (args.device or "auto") not in ("auto", "cuda"):
        return 0
    import torch

    return torch.cuda.device_count()


def run_processes(args, argv: list[str], n: int, *, embedder=None):
    from tqdm import tqdm

    from bench.errors import RunError
    from bench.runner import finalize
    from bench.spec import select_scenes

    scenes = select_scenes(args.scenes)
    total = len(scenes) * args.seeds
    base = [sys.executable, "-m", "bench.cli"] + _strip_processes(list(argv))
    if "--no-progress" not in base:
        base.append("--no-progress")
    gpus = _gpu_count(args)
    procs = []
    for i in range(n):
        env = dict(os.environ)
        env.pop("WORLD_SIZE", None)
        env.pop("RANK", None)
        if gpus >= n:
            env["CUDA_VISIBLE_DEVICES"] = str(i)
        procs.append(subprocess.Popen(base + ["--shard", f"{i}/{n}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
    cache = Path(args.out) / "cache"
    bar = tqdm(total=total, desc=f"{args.model} x{n} processes", unit="img", disable=True if args.no_progress else None, file=sys.stderr)
    try:
        while any(p.poll() is None for p in procs):
            done = sum(1 for _ in cache.rglob("*.json")) if cache.exists() else 0
            bar.update(min(total, done) - bar.n)
            time.sleep(0.2)
    finally:
        bar.close()
    errors = [(i, p.returncode, p.stderr.read().strip().splitlines()) for i, p in enumerate(procs)]
    failed = [(i, rc, lines) for i, rc, lines in errors if rc != 0]
    if failed:
        i, rc, lines = failed[0]
        last = lines[-1] if lines else f"exit code {rc}"
        raise RunError(f"worker {i}/{n} failed: {last}")
    return finalize(Path(args.out), scenes, embedder=embedder)
