"""Performance figures (not pass/fail): ``python -m bench.perf``.

Prints, at 512 px: images per second of each classical scorer (one process),
of all scorers together in one and in two processes, the renderer's speed, and
the wall time of the default benchmark run (12 scenes x 4 seeds, 256 px).
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _images(n: int, size: int):
    from bench.generators.procedural import render
    from bench.imageio import to_float
    from bench.spec import bundled_scenes

    scenes = bundled_scenes()
    out = []
    for i in range(n):
        scene = scenes[i % len(scenes)]
        img, _ = render(scene, i, size=size, iconic=0.5)
        out.append((to_float(img), scene))
    return out


def _score_chunk(n: int, size: int = 512):
    """Seconds one process takes to score ``n`` images once warm (rendering not
    counted; one extra image first loads the modules and the network, as a long
    run does once per worker)."""
    import cv2

    cv2.setNumThreads(1)
    from metrics.suite import score_image

    imgs = _images(n + 1, size)
    score_image(*imgs.pop())
    t = time.perf_counter()
    for img, scene in imgs:
        score_image(img, scene)
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.perf", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=48, help="images per measurement (default: %(default)s)")
    ap.add_argument("--size", type=int, default=512, help="image size for the scorer figures (default: %(default)s)")
    ap.add_argument("--skip-run", action="store_true", help="skip the end-to-end default run")
    args = ap.parse_args(argv)

    import cv2

    from metrics.suite import list_scorers, score_image

    cv2.setNumThreads(1)
    imgs = _images(args.n, args.size)
    print(f"scorers at {args.size} px, {args.n} images, one process:")
    from metrics import eventnet, photo

    for name, fn in (("EventNet", lambda im: eventnet.view(im)), ("photo backbone", lambda im: photo.features_batch([im]))):
        fn(imgs[0][0])
        t = time.perf_counter()
        for img, _ in imgs:
            fn(img)
        dt = time.perf_counter() - t
        print(f"  {name:14s} {1000 * dt / args.n:6.1f} ms/image  (run once per image and shared by the scorers that use it)")
    for info in list_scorers():
        if info.derived:
            continue
        probe = info.fn(*imgs[0])
        if not any(isinstance(v, float) and v == v for k, v in probe.items() if k not in info.text_columns):
            print(f"  {info.name:14s} not timed: it returned no score ({probe.get(info.name + '_note', '')})")
            continue
        t = time.perf_counter()
        for img, scene in imgs:
            info.fn(img, scene)
        dt = time.perf_counter() - t
        print(f"  {info.name:14s} {args.n / dt:8.1f} images/s  ({1000 * dt / args.n:6.1f} ms/image)")
    t = time.perf_counter()
    for img, scene in imgs:
        score_image(img, scene)
    dt1 = time.perf_counter() - t
    print(f"  {'all scorers':14s} {args.n / dt1:8.1f} images/s  ({1000 * dt1 / args.n:6.1f} ms/image)")
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver")) as pool:
        busy = max(pool.map(_score_chunk, [args.n // 2] * 2, [args.size] * 2))
    print(f"  {'all, 2 procs':14s} {2 * (args.n // 2) / busy:8.1f} images/s  (two processes, each scoring {args.n // 2} images)")

    from bench.generators.procedural import render
    from bench.spec import bundled_scenes

    scenes = bundled_scenes()
    for size in (256, 512):
        t = time.perf_counter()
        for i in range(args.n):
            render(scenes[i % len(scenes)], i, size=size, iconic=0.5)
        dt = time.perf_counter() - t
        print(f"renderer at {size} px: {args.n / dt:.1f} images/s ({1000 * dt / args.n:.1f} ms/image)")

    if not args.skip_run:
        import subprocess
        import sys

        tmp = Path(tempfile.mkdtemp(prefix="realgap-perf-"))
        try:
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "bench.cli", "run", "--model", "procedural:physical",
                            "--out", str(tmp / "run"), "--no-progress"], check=True, stdout=subprocess.DEVNULL)
            print(f"default run (procedural:physical, 12+ scenes x 4 seeds, 256 px, fresh process): {time.perf_counter() - t:.1f} s")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
