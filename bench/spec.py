"""Scene specs: load, validate and select the YAML scenario files.

A scene file lives at ``scenes/<family>/<name>.yaml`` and its ``id`` must be
``<family>/<name>`` (the file's parent folder and stem), so an id always says
where its file is.  Scenes of the stress track (edge cases: oblique impacts,
the instant before failure, late settling, unusual views, small events in
large scenes, simultaneous events) live at ``scenes/stress/<family>/<name>.yaml``
with the id ``stress/<family>/<name>``; their ``family`` field is still
fracture, impact or fluid.  The main set (``--scenes all``, the default, and
every family, id or glob without the ``stress/`` prefix) never includes them;
``--scenes stress`` selects exactly the stress track.  Every problem found in
a file is reported as one line::

    scenes/fluid/rock-into-pond.yaml: physics.phase: expected one of pre, transitional, end; got 'transitionl' (did you mean 'transitional'?)

and all problems of all files are collected before anything fails.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

FAMILIES = ("fracture", "impact", "fluid")
PHASES = ("pre", "transitional", "end")
MAIN, STRESS = "main", "stress"
TRACKS = (MAIN, STRESS)
"""The scene tracks: ``main`` (``scenes/<family>/``) and ``stress`` (``scenes/stress/<family>/``)."""
MAX_TEXT = 2000  # characters in any one text field

TOP_FIELDS = (
    "id",
    "version",
    "family",
    "title",
    "prompt",
    "negative_prompt",
    "physics",
    "iconic_cues",
    "references",
)
PHYSICS_FIELDS = ("phase", "impact_point", "impact_direction", "fragment_size_exponent", "expected")
REQUIRED_TOP = ("id", "family", "title", "prompt", "physics", "iconic_cues", "references")
REQUIRED_PHYSICS = ("phase", "impact_direction", "expected")


class SpecError(ValueError):
    """One or more problems in scene files; ``lines`` holds one line per problem."""

    def __init__(self, lines: Iterable[str]):
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))


@dataclass(frozen=True)
class Physics:
    """The physics a scene asks for (see PHYSICS.md)."""

    phase: str
    """The instant the prompt asks for: ``pre``, ``transitional`` or ``end``."""
    impact_direction: tuple[float, float]
    """Unit image-plane direction of travel of impactor / ejecta; x right, y down."""
    expected: tuple[str, ...]
    """Physical cues a correct image shows, in words."""
    impact_point: tuple[float, float] | None = None
    """Expected image-plane impact location as fractions of (width, height)."""
    fragment_size_exponent: tuple[float, float] | None = None
    """Plausible range of the power-law exponent tau of fragment areas, n(A) ~ A^-tau."""


@dataclass(frozen=True)
class Scene:
    """One scenario: the prompt that drives generation and the physics that scores it."""

    id: str
    """``<family>/<name>``, the path under ``scenes/`` without ``.yaml``."""
    family: str
    title: str
    prompt: str
    physics: Physics
    iconic_cues: tuple[str, ...]
    references: tuple[str, ...]
    version: int = 1
    """Bumped whenever a change to the file could move a score."""
    negative_prompt: str = ""
    path: str = field(default="", compare=False)
    """Where the file was read from (not part of the scene's identity)."""

    @property
    def name(self) -> str:
        return self.id.rsplit("/", 1)[1]

    @property
    def track(self) -> str:
        """``stress`` for an id ``stress/<family>/<name>``, else ``main``."""
        return scene_track(self.id)

    @property
    def slug(self) -> str:
        """Filesystem-safe form of the id used in run folders: ``<family>/<name>``."""
        return self.id

    def fingerprint(self) -> str:
        """sha256 of the fields that can move a score (used for scene-set hashes)."""
        p = self.physics
        text = repr(
            (
                self.id,
                self.version,
                self.family,
                self.prompt,
                self.negative_prompt,
                p.phase,
                p.impact_point,
                p.impact_direction,
                p.fragment_size_exponent,
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()


def scene_track(scene_id: str) -> str:
    """The track a scene id belongs to: ``stress`` for ``stress/<family>/<name>``, else ``main``."""
    return STRESS if str(scene_id).startswith(STRESS + "/") else MAIN


def scene_family(scene_id: str) -> str:
    """The family part of a scene id: ``fracture`` for ``fracture/x`` and for ``stress/fracture/x``."""
    parts = str(scene_id).split("/")
    return parts[-2] if len(parts) >= 2 else ""


def expected_id(path: Path) -> str:
    """The id a scene file must have: ``<family>/<name>``, or ``stress/<family>/<name>`` under a ``stress`` folder."""
    path = Path(path)
    sid = f"{path.parent.name}/{path.stem}"
    return f"{STRESS}/{sid}" if path.parent.parent.name == STRESS else sid


def bundled_dir() -> Path:
    """The folder of the scenes that ship with realgap."""
    import scenes

    return Path(scenes.__file__).resolve().parent


def _suggest(got: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(got), list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


class _Checker:
    def __init__(self, path: str):
        self.path = path
        self.errors: list[str] = []
        self.misspelt: set[str] = set()  # required names an unknown key probably meant

    def err(self, fieldname: str, msg: str) -> None:
        self.errors.append(f"{self.path}: {fieldname}: {msg}")

    def text(self, d: dict, key: str, prefix: str = "", required: bool = True) -> str:
        name = prefix + key
        if key not in d or d[key] is None:
            if required:
                self.err(name, "missing; expected a non-empty string")
            return ""
        v = d[key]
        if not isinstance(v, str):
            self.err(name, f"expected a string; got {type(v).__name__} {v!r}")
            return ""
        if required and not v.strip():
            self.err(name, "expected a non-empty string; got ''")
        if len(v) > MAX_TEXT:
            self.err(name, f"expected at most {MAX_TEXT} characters; got {len(v)}")
        return v

    def text_list(self, d: dict, key: str, prefix: str = "") -> tuple[str, ...]:
        name = prefix + key
        if key not in d or d[key] is None:
            self.err(name, "missing; expected a list of at least one string")
            return ()
        v = d[key]
        if not isinstance(v, list) or not v:
            self.err(name, f"expected a list of at least one string; got {v!r}")
            return ()
        out = []
        for i, item in enumerate(v):
            if not isinstance(item, str) or not item.strip():
                self.err(f"{name}[{i}]", f"expected a non-empty string; got {item!r}")
            elif len(item) > MAX_TEXT:
                self.err(f"{name}[{i}]", f"expected at most {MAX_TEXT} characters; got {len(item)}")
            else:
                out.append(item)
        return tuple(out)

    def pair(self, d: dict, key: str, prefix: str, what: str) -> tuple[float, float] | None:
        name = prefix + key
        v = d.get(key)
        if not isinstance(v, list) or len(v) != 2 or not all(_is_number(x) for x in v):
            self.err(name, f"expected {what} as a list of two numbers; got {v!r}")
            return None
        return (float(v[0]), float(v[1]))

    def unknown(self, d: dict, allowed: tuple[str, ...], prefix: str = "") -> None:
        for key in d:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), list(allowed), n=1)
                self.misspelt.update(prefix + c for c in close if c not in d)
                self.err(
                    prefix + str(key),
                    f"unknown field; expected one of {', '.join(allowed)}{_suggest(key, allowed)}",
                )


def parse_scene(data: Any, path: str | Path) -> Scene:
    """Validate one parsed YAML document and build a :class:`Scene`.

    Raises :class:`SpecError` listing every problem (file, dotted field, expected
    vs found).
    """
    path = Path(path)
    shown = str(path)
    c = _Checker(shown)
    if not isinstance(data, dict):
        raise SpecError([f"{shown}: (top level): expected a mapping of fields; got {type(data).__name__}"])
    c.unknown(data, TOP_FIELDS)
    for key in REQUIRED_TOP:
        if key not in data and key not in c.misspelt:
            c.err(key, "missing (required field)")

    want_id = expected_id(path)
    sid = c.text(data, "id", required="id" in data) if "id" in data else ""
    if sid and sid != want_id:
        where = "the stress folder, the file's folder and name" if scene_track(want_id) == STRESS else "the file's folder and name"
        c.err("id", f"expected '{want_id}' ({where}); got '{sid}'")

    family = c.text(data, "family", required="family" in data) if "family" in data else ""
    if family and family not in FAMILIES:
        c.err("family", f"expected one of {', '.join(FAMILIES)}; got '{family}'{_suggest(family, FAMILIES)}")
    elif family and sid and scene_family(sid) != family:
        part = "the id's family part" if scene_track(sid) == STRESS else "the id's first part"
        c.err("family", f"expected '{scene_family(sid)}' ({part}); got '{family}'")

    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        c.err("version", f"expected a whole number >= 1; got {version!r}")
        version = 1

    title = c.text(data, "title") if "title" in data else ""
    prompt = c.text(data, "prompt") if "prompt" in data else ""
    negative = c.text(data, "negative_prompt", required=False)
    iconic = c.text_list(data, "iconic_cues") if "iconic_cues" in data else ()
    refs = c.text_list(data, "references") if "references" in data else ()

    physics = None
    ph = data.get("physics")
    if "physics" in data and not isinstance(ph, dict):
        c.err("physics", f"expected a mapping with {', '.join(REQUIRED_PHYSICS)}; got {ph!r}")
    elif isinstance(ph, dict):
        p = "physics."
        c.unknown(ph, PHYSICS_FIELDS, p)
        for key in REQUIRED_PHYSICS:
            if key not in ph and p + key not in c.misspelt:
                c.err(p + key, "missing (required field)")
        phase = ph.get("phase")
        if "phase" in ph and phase not in PHASES:
            c.err(p + "phase", f"expected one of {', '.join(PHASES)}; got {phase!r}{_suggest(phase, PHASES)}")
        direction = None
        if "impact_direction" in ph:
            direction = c.pair(ph, "impact_direction", p, "a unit vector [dx, dy] (x right, y down)")
            if direction is not None:
                norm = math.hypot(*direction)
                if abs(norm - 1.0) > 0.01:
                    c.err(
                        p + "impact_direction",
                        f"expected unit length (|d| = 1 +- 0.01); got {list(direction)} with length {norm:.3f}",
                    )
        point = None
        if ph.get("impact_point") is not None:
            point = c.pair(ph, "impact_point", p, "[x, y] fractions of width and height")
            if point is not None and not all(0.0 <= v <= 1.0 for v in point):
                c.err(p + "impact_point", f"expected fractions in [0, 1]; got {list(point)}")
        exponent = None
        if ph.get("fragment_size_exponent") is not None:
            exponent = c.pair(ph, "fragment_size_exponent", p, "a range [low, high]")
            if exponent is not None and not (1.0 <= exponent[0] <= exponent[1] <= 3.0):
                c.err(
                    p + "fragment_size_exponent",
                    f"expected 1 <= low <= high <= 3 (measured exponents span about 1 to 2.5); got {list(exponent)}",
                )
        expected = c.text_list(ph, "expected", p) if "expected" in ph else ()
        if not c.errors:
            physics = Physics(
                phase=phase,
                impact_direction=direction,
                expected=expected,
                impact_point=point,
                fragment_size_exponent=exponent,
            )
    if c.errors:
        raise SpecError(c.errors)
    return Scene(
        id=sid,
        family=family,
        title=title,
        prompt=prompt,
        physics=physics,
        iconic_cues=iconic,
        references=refs,
        version=version,
        negative_prompt=negative,
        path=shown,
    )


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _yaml_loader():
    """A safe YAML loader that refuses duplicate keys (PyYAML keeps the last one silently)."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return UniqueKeyLoader


def load_scene(path: str | Path) -> Scene:
    """Read and validate one scene file; raises :class:`SpecError` on any problem."""
    import yaml

    path = Path(path)
    shown = _display(path)
    if not path.is_file():
        raise SpecError([f"{shown}: (file): expected an existing .yaml scene file; not found"])
    if path.suffix not in (".yaml", ".yml"):
        raise SpecError([f"{shown}: (file): expected a .yaml scene file; got '{path.suffix or 'no extension'}'"])
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_yaml_loader())
    except UnicodeDecodeError:
        raise SpecError([f"{shown}: (file): expected UTF-8 text; the file is not text"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError([f"{shown}: (yaml): expected valid YAML; {problem}{where}"]) from None
    if data is None:
        raise SpecError([f"{shown}: (file): expected a scene mapping; the file is empty"])
    return parse_scene(data, Path(shown))


def scene_files(folder: Path) -> list[Path]:
    """Every ``*.yaml`` / ``*.yml`` under ``folder`` in sorted order (deterministic traversal)."""
    return sorted(p for p in Path(folder).rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_scenes(paths: Iterable[str | Path]) -> list[Scene]:
    """Load files and folders; collects every error of every file into one SpecError."""
    out: list[Scene] = []
    errors: list[str] = []
    for raw in paths:
        p = Path(raw)
        files = scene_files(p) if p.is_dir() else [p]
        if p.is_dir() and not files:
            errors.append(f"{_display(p)}: (folder): expected at least one .yaml scene file; found none")
        for f in files:
            try:
                out.append(load_scene(f))
            except SpecError as exc:
                errors.extend(exc.lines)
    seen: dict[str, str] = {}
    for s in out:
        if s.id in seen:
            errors.append(f"{s.path}: id: expected a unique id; '{s.id}' is also defined in {seen[s.id]}")
        seen[s.id] = s.path
    if errors:
        raise SpecError(errors)
    return out


def bundled_scenes() -> list[Scene]:
    """The main scene set shipped in ``scenes/`` (every track but ``stress``)."""
    root = bundled_dir()
    stress = root / STRESS
    return load_scenes([p for p in scene_files(root) if not p.is_relative_to(stress)])


def stress_scenes() -> list[Scene]:
    """The stress track shipped in ``scenes/stress/`` (edge cases; never part of the main set)."""
    return load_scenes([bundled_dir() / STRESS])


def shipped_scenes() -> list[Scene]:
    """Every scene shipped with realgap: the main set and the stress track."""
    return bundled_scenes() + stress_scenes()


def track_scenes(track: str) -> list[Scene]:
    """The shipped scenes of one track (``main`` or ``stress``)."""
    if track not in TRACKS:
        raise ValueError(f"track: expected one of {', '.join(TRACKS)}; got {track!r}")
    return bundled_scenes() if track == MAIN else stress_scenes()


def _is_track_selector(item: str) -> bool:
    """``stress``, ``stress/<family>``, ``stress/<family>/<name>`` or a glob under ``stress/``."""
    if item == STRESS:
        return True
    if not item.startswith(STRESS + "/") or item.endswith((".yaml", ".yml")):
        return False
    return "*" in item or not Path(item).exists()


def select_scenes(selector: str | None) -> list[Scene]:
    """Resolve a ``--scenes`` selector to scenes, sorted by id.

    ``selector`` is a comma-separated list of items; each item is a path to a
    ``.yaml`` file or a folder of them, a family name (``fracture``), a scene id
    (``fluid/milk-drop-crown``) or a glob over ids (``impact/*``).  ``None``
    or ``all`` selects every scene of the main set; families, ids and globs
    match the main set too.  ``stress`` selects the stress track (``all,stress``
    both), and
    ``stress/<family>``, ``stress/<family>/<name>`` and ``stress/...`` globs
    select within it.
    """
    if selector is None or selector.strip() in ("", "all"):
        return bundled_scenes()
    pools: dict[str, dict[str, Scene]] = {}

    def pool(track: str) -> dict[str, Scene]:
        if track not in pools:
            pools[track] = {s.id: s for s in track_scenes(track)}
        return pools[track]

    chosen: dict[str, Scene] = {}
    errors: list[str] = []
    for item in [s.strip() for s in selector.split(",") if s.strip()]:
        p = Path(item)
        in_stress = _is_track_selector(item)
        is_selector = in_stress or item in FAMILIES or item == "all" or "*" in item or (item.count("/") == 1 and not p.exists())
        if item.endswith((".yaml", ".yml")) or (not is_selector and (p.is_dir() or p.is_file())):
            try:
                for s in load_scenes([p]):
                    chosen[s.id] = s
            except SpecError as exc:
                errors.extend(exc.lines)
            continue
        scenes = pool(STRESS if in_stress else MAIN)
        rest = item[len(STRESS) + 1:] if in_stress else item
        if item in (STRESS, "all"):  # a whole track, e.g. --scenes all,stress
            hits = list(scenes.values())
        elif rest in FAMILIES:
            hits = [s for s in scenes.values() if s.family == rest]
        else:
            hits = [scenes[k] for k in sorted(scenes) if fnmatch.fnmatchcase(k, item)]
        if not hits:
            options = list(pool(MAIN)) + list(FAMILIES) + [STRESS] + (list(scenes) if in_stress else [])
            errors.append(
                f"--scenes: '{item}': expected a scene id, family, glob, 'stress' or path to a .yaml file; "
                f"nothing matches{_suggest(item, options)}"
            )
        for s in hits:
            chosen[s.id] = s
    if errors:
        raise SpecError(errors)
    return [chosen[k] for k in sorted(chosen)]


def scene_set_hash(scenes: Iterable[Scene]) -> str:
    """Hash of a set of scenes (ids, versions, prompts, physics), order-independent."""
    h = hashlib.sha256()
    for fp in sorted(s.fingerprint() for s in scenes):
        h.update(fp.encode())
    return h.hexdigest()[:16]
