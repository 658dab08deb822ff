"""``images:<folder>``: score images made elsewhere (e.g. by an API model).

The folder holds ``<family>/<name>/<seed>.png`` (``.jpg``, ``.jpeg`` and
``.webp`` are accepted too).  A missing or broken image becomes a row with a
``status`` word; every other image is still scored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from bench.generators.base import Generated, Generator, ModelError
from bench.imageio import load_image

EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")


class ImageFolderGenerator(Generator):
    batch_size = 16

    def __init__(self, folder: str):
        if not folder:
            raise ModelError("--model: images:<folder>: expected a folder after 'images:'; got nothing")
        self.folder = Path(folder).expanduser()
        if not self.folder.is_dir():
            raise ModelError(f"{self.folder}: --model images:<folder>: expected an existing folder; not found")
        self.model = f"images:{folder}"

    def settings(self) -> dict[str, Any]:
        return {"folder": str(self.folder.resolve())}

    def find(self, scene_id: str, seed: int) -> Path | None:
        for ext in EXTENSIONS:
            p = self.folder / scene_id / f"{seed}{ext}"
            if p.exists():
                return p
        return None

    def missing(self, jobs: Sequence[tuple[Any, int]]) -> list[str]:
        """Expected paths (``<family>/<name>/<seed>.png``) with no image, for an up-front listing."""
        return [f"{s.id}/{seed}.png" for s, seed in jobs if self.find(s.id, seed) is None]

    def generate(self, jobs: Sequence[tuple[Any, int]], size: int) -> list[Generated]:
        out = []
        for scene, seed in jobs:
            path = self.find(scene.id, seed)
            if path is None:
                expected = self.folder / scene.id / f"{seed}.png"
                out.append(Generated(None, status="missing", detail=f"{expected}: expected an image file; not found"))
                continue
            loaded = load_image(path)
            if loaded.status != "ok":
                out.append(Generated(None, status=loaded.status, detail=loaded.detail))
                continue
            out.append(Generated(loaded.rgb, meta={"source": str(path)}))
        return out
