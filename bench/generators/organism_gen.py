"""``organism:<folder>``: the realgap model organism (issue 7), a small
class-conditional diffusers ``UNet2DModel`` (class = scene id) trained on the
procedural renderer, sampled with DDIM (``sample_eta`` of organism.json: 1 =
stochastic, DDPM-like; 0 = deterministic ODE) at its native size (32 px)
and upsampled to the run's ``--size`` with ``cv2.INTER_CUBIC``.

The folder is written by ``realgap organism train`` / ``realgap organism tune``
(see :mod:`bench.organism.model` for the layout).  The initial noise and the per-step noise of
each image are drawn from a ``torch.Generator`` seeded with sha256(scene id, seed),
and images are sampled in batches always padded to ``batch_size`` (8): the
per-image computation does not mix images, and a fixed batch shape keeps the
same kernels, so the same (scene, seed) gives the same bytes in a fresh or a
resumed run whatever its batch companions (tests/test_organism.py checks it).  ``realgap run`` runs only the
selected scenes the model was trained on and names the ones it skipped (:func:`known_scene_ids`); the
generator itself refuses any other scene with a :class:`~bench.generators.ModelError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from bench.generators.base import Generated, Generator, ModelError


def known_scene_ids(folder: str) -> set[str] | None:
    """The scene ids an organism folder was trained on (organism.json 'classes'), or None when unreadable."""
    import json

    try:
        return set(json.loads((Path(folder) / "organism.json").read_text()).get("classes", []))
    except (OSError, ValueError):
        return None


class OrganismGenerator(Generator):
    batch_size = 8

    def __init__(self, folder: str, *, steps: int | None = None, **_ignored: Any):
        import json

        self.folder = Path(folder)
        info_path = self.folder / "organism.json"
        if not info_path.is_file():
            raise ModelError(f"--model organism:{folder}: expected a folder with organism.json, unet/ and scheduler/ "
                             f"(made by 'realgap organism train'); {info_path} not found")
        try:
            self.info = json.loads(info_path.read_text())
        except (OSError, ValueError) as exc:
            raise ModelError(f"--model organism:{folder}: organism.json is unreadable ({exc})") from None
        self.classes = list(self.info.get("classes", []))
        self.native = int(self.info.get("native_size", 32))
        self.steps = int(steps or self.info.get("sample_steps", 20))
        self.eta = float(self.info.get("sample_eta", 0.0))
        self.model = f"organism:{folder}"
        self._loaded = None

    def settings(self) -> dict[str, Any]:
        from bench.organism.model import weights_hash

        return {"native_size": self.native, "sample_steps": self.steps, "sampler": f"ddim eta={self.eta:g}",
                "upsample": "cv2.INTER_CUBIC", "weights_sha256_16": weights_hash(self.folder),
                "stage": self.info.get("stage", "")}

    def _load(self):
        if self._loaded is None:
            from bench.organism.model import load_folder

            try:
                self._loaded = load_folder(self.folder)
            except (FileNotFoundError, OSError, ValueError) as exc:
                raise ModelError(f"--model organism:{self.folder}: {str(exc).splitlines()[0]}") from None
        return self._loaded

    def native_images(self, jobs: Sequence[tuple[Any, int]]):
        """uint8 native-size images, one per (scene, seed) job."""
        import torch

        from bench.organism.data import to_uint8
        from bench.organism.model import initial_noise, sample

        unknown = sorted({s.id for s, _ in jobs if s.id not in self.classes})
        if unknown:
            raise ModelError(f"--model organism:{self.folder}: not trained on scene(s) {', '.join(unknown)}; "
                             f"it knows {len(self.classes)} scenes (see organism.json 'classes')")
        unet, sched, _ = self._load()
        out = []
        B = self.batch_size
        with torch.no_grad():
            for start in range(0, len(jobs), B):
                chunk = list(jobs[start : start + B])
                real = len(chunk)
                chunk += [chunk[0]] * (B - real)  # always a full batch of B: the same kernels for every image
                noise = initial_noise([f"{s.id}|{int(seed)}" for s, seed in chunk], self.native,
                                      self.steps if self.eta > 0 else 0)
                cls = torch.tensor([self.classes.index(s.id) for s, _ in chunk])
                x, _ = sample(unet, sched, cls, noise, self.steps, eta=self.eta)
                out.extend(to_uint8(x)[:real])
        return out

    def generate(self, jobs: Sequence[tuple[Any, int]], size: int) -> list[Generated]:
        import cv2

        res = []
        for (scene, seed), img in zip(jobs, self.native_images(jobs)):
            up = img if size == self.native else cv2.resize(img, (size, size), interpolation=cv2.INTER_CUBIC)
            res.append(Generated(image=up, meta={"native_size": self.native, "class": self.classes.index(scene.id)}))
        return res
